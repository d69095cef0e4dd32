import { createHash } from 'node:crypto';
import { serviceAnswered } from '#shared/adapters/aws-clients.js';
import type { BusPublisher } from '#shared/adapters/bus-publisher.js';
import type { BusSchedules } from '#shared/adapters/bus-schedule.js';
import type { DecisionRecorder } from '#shared/adapters/decision-trail.js';
import type { Decision, DecisionKind } from '#shared/decisions.js';
import * as Events from '#shared/events/index.js';
import type { MessageRequested } from '#shared/events/message-requested.js';
import type { SuppressionReason } from '#shared/events/message-suppressed.js';
import type { Product } from '#shared/events/product.js';
import type { Profile } from '#shared/events/profile.js';
import { ownValue } from '#shared/lookup.js';
import { catalogueShop } from '#shared/recommendations.js';
import { fail, ok, type Result } from '#shared/result.js';
import type { Shops } from '#shared/shops.js';
import { deferralSlackMillis, sendLeaseMillis } from '#shared/table.js';
import { unsubscribeUrl } from '#shared/unsubscribe.js';
import type { DispatchStore, LedgerSource } from './adapters/dispatch-store.js';
import type { SendFailure, SendResult, SesEmailSender } from './adapters/ses-sender.js';
import type { OutgoingText } from './adapters/sms-sender.js';
import { capReached, type DispatchPolicy, gate } from './core/gate.js';
import { messageShop, type ShopVoice, shopVoice } from './core/shop-voice.js';
import { type EmailTemplate, type Layouts, renderEmail, renderText } from './core/template.js';

/** What dispatch needs of the world; the service passes DynamoDB, Scheduler, SES and EventBridge, tests pass fakes with faults. */
export interface DispatchPorts {
  readonly store: Pick<DispatchStore, 'ledger' | 'record' | 'announced' | 'release' | 'reserveSend' | 'releaseSend' | 'marketingSentSince' | 'isSuppressed'>;
  readonly profiles: { get(profileId: string): Promise<Profile | undefined> };
  readonly schedules: Pick<BusSchedules, 'create'>;
  readonly sender: Pick<SesEmailSender, 'send'>;
  readonly sms?: { send(text: OutgoingText): Promise<SendResult> };
  readonly webhooks?: { send(url: string, task: Record<string, unknown>): Promise<SendResult> };
  readonly publisher: Pick<BusPublisher, 'publish'>;
  readonly templates: ReadonlyMap<string, EmailTemplate>;
  readonly layouts?: Layouts;
  readonly policy: DispatchPolicy;
  /** The From of email whose shop gives no sender of its own (config/shops.json). */
  readonly senderAddress: string;
  readonly shops: Shops;
  /** Where unsubscribe links point, and the key that signs them. */
  readonly publicUrl: string;
  readonly unsubscribeKey: () => Promise<string>;
  /** Where each outcome is kept for `nudge why`, with its reason. */
  readonly decisions?: DecisionRecorder;
  /** Unique coupon codes for templates that use them (`{{ coupon.welcome10 }}`), claimed once per message. */
  readonly coupons?: { claim(pool: string, messageId: string, now: number): Promise<Result<string, SendFailure>> };
  /** What to buy next, for templates that show `recommendations`. */
  readonly recommendations?: { for(shop: string, basket: readonly string[], bought: readonly string[], limit: number): Promise<readonly Product[]> };
}

/** How many products `recommendations` holds: a row of four fits an email's width. */
const recommendationCount = 4;

export type Outcome = 'sent' | 'suppressed' | 'deferred' | 'failed' | 'uncertain' | 'duplicate';

/** A send still in another dispatcher's hands: the delivery is retried later. */
export class SendInProgressError extends Error {}

/** A deferred message asked for a little before its time: the delivery is retried later. */
export class DeferralNotDueError extends Error {}

const week = 7 * 86_400_000;

/**
 * One message request, from the ledger to SES and back: at most one email per message id under
 * any retry, redelivery or crash. The ledger is claimed with a condition before SES is called and
 * completed after; a claim found expired (a crash after the call, or a timeout) is marked
 * uncertain and reported, never sent again.
 */
export async function dispatchMessage(request: MessageRequested, ports: DispatchPorts, now: number): Promise<Outcome> {
  const ref = {
    messageId: request.messageId,
    ruleId: request.ruleId,
    profileId: request.profileId,
    channel: request.channel,
    template: request.template,
    ...(request.variant === undefined ? {} : { variant: request.variant }),
  };
  const at = new Date(now).toISOString();
  /**
   * Records a final decision with the event that announces it, then puts the event on the bus and
   * clears it: if the delivery fails in between, the retry finds the decision and announces it.
   */
  const conclude = async (
    state: 'sent' | 'suppressed' | 'failed' | 'uncertain',
    contract: Events.Contract,
    detail: Record<string, unknown>,
    fields: Record<string, unknown>,
    from?: LedgerSource,
  ): Promise<boolean> => {
    const announcement = { detailType: contract.detailType, detail };
    if (!(await ports.store.record(request.messageId, { state, announcement }, now, fields, from))) return false;
    await ports.publisher.publish(contract, detail);
    await ports.store.announced(request.messageId);
    const reason = fields.reason ?? fields.code ?? (state === 'uncertain' ? 'OutcomeUnknown' : undefined);
    await explain(state === 'uncertain' ? 'failed' : state, typeof reason === 'string' ? { reason } : {});
    return true;
  };
  // An outcome comes after its request in the person's trail, whatever two services' clocks say.
  const decidedAt = Math.max(now, Date.parse(request.requestedAt) || 0);
  /** Asks for the message again at `until`: one schedule per message and time, however often it is made. */
  const scheduleRequest = (until: number) =>
    ports.schedules.create(`d-${createHash('sha256').update(`${request.messageId}|${until}`).digest('hex').slice(0, 40)}`, until, {
      contract: Events.MessageRequested,
      detail: { ...request, deferredUntil: new Date(until).toISOString() },
    });
  const explain = (kind: DecisionKind, more: Pick<Decision, 'reason' | 'until'>) =>
    ports.decisions?.record([{ profileId: request.profileId, ruleId: request.ruleId, kind, at: decidedAt, messageId: request.messageId, ...more }], now);

  const existing = await ports.store.ledger(request.messageId);
  if (existing !== undefined) {
    if (existing.state === 'sending') {
      if (now < existing.leaseUntil) throw new SendInProgressError(`Message ${request.messageId} is being sent by another delivery`);
      const error = { code: 'OutcomeUnknown', message: 'A send was started and not confirmed; it is not repeated, so it went once or not at all.' };
      return (await conclude('uncertain', Events.MessageFailed, { ...ref, error, failedAt: at }, {}, 'sending')) ? 'uncertain' : 'duplicate';
    }
    if (existing.state !== 'deferred') {
      // Decided before; its event may not have reached the bus yet.
      const announcement = existing.announcement;
      const contract = announcement === undefined ? undefined : Events.catalogue.find((candidate) => candidate.detailType === announcement.detailType);
      if (announcement !== undefined && contract !== undefined) {
        await ports.publisher.publish(contract, announcement.detail);
        await ports.store.announced(request.messageId);
      }
      return 'duplicate';
    }
    // A deferred message is taken up when its wait is over. A request well before then is a
    // duplicate (its schedule is made again, in case the delivery that deferred it failed before
    // making it); one just before (two clocks a little apart) is retried, so it goes on time.
    if (now < existing.until - deferralSlackMillis) {
      await scheduleRequest(existing.until);
      return 'duplicate';
    }
    if (now < existing.until) throw new DeferralNotDueError(`Message ${request.messageId} is deferred until ${new Date(existing.until).toISOString()}`);
  }
  // The deferral this delivery takes up, if any: only one delivery can.
  const takenUp = existing?.state === 'deferred' ? existing : undefined;

  const suppress = async (reason: SuppressionReason): Promise<Outcome> => {
    const detail = { ...ref, reason, suppressedAt: at };
    return (await conclude('suppressed', Events.MessageSuppressed, detail, { reason }, takenUp)) ? 'suppressed' : 'duplicate';
  };

  // The person as they are now: consent or an erasure since the rule fired counts. Someone erased
  // is reached on no channel, whatever the request still carries (an address, a webhook task).
  const person = await ports.profiles.get(request.profileId);
  if (person === undefined) return suppress('no-address');
  // Stryker disable next-line ConditionalExpression: the always-`sms` replacement only: a webhook task's address is its endpoint's name, and no phone is ever suppressed as an email address.
  const address = request.channel === 'email' ? person.email : request.channel === 'sms' ? person.phone : undefined;
  const suppressed = address !== undefined && (await ports.store.isSuppressed(request.channel === 'sms' ? 'phone' : 'email', address));
  const history = request.purpose === 'marketing' ? await ports.store.marketingSentSince(request.profileId, now - week) : [];
  const decision = gate(request, person, suppressed, { marketingSentAt: history }, ports.policy, now);
  if (decision.kind === 'suppress') return suppress(decision.reason);
  if (decision.kind === 'defer') {
    if (!(await ports.store.record(request.messageId, { state: 'deferred', until: decision.until }, now, {}, takenUp))) return 'duplicate';
    await scheduleRequest(decision.until);
    await ports.publisher.publish(Events.MessageDeferred, { ...ref, deferredAt: at, until: new Date(decision.until).toISOString(), reason: decision.reason });
    await explain('deferred', { reason: decision.reason, until: decision.until });
    return 'deferred';
  }

  // What can never succeed as asked (no such template, a template that cannot render this person)
  // fails at once with its reason, instead of being retried into the dead-letter queue.
  const prepared = await preparedSend(request, decision.to, person, ports, now);
  if (!prepared.ok) {
    const { error } = prepared;
    return (await conclude('failed', Events.MessageFailed, { ...ref, error, failedAt: at }, { code: error.code }, takenUp)) ? 'failed' : 'duplicate';
  }
  if (!(await ports.store.record(request.messageId, { state: 'sending', leaseUntil: now + sendLeaseMillis }, now, {}, takenUp))) return 'duplicate';
  const marketing = request.purpose === 'marketing';
  if (marketing) {
    // Reserved before the provider is called, atomically across concurrent sends: a send whose confirmation is lost still counts.
    let reservation: 'reserved' | 'cap-reached';
    try {
      reservation = await ports.store.reserveSend(request.profileId, request.messageId, now, (sentAt) => !capReached(sentAt, ports.policy, now));
    } catch (error) {
      await ports.store.release(request.messageId);
      throw error;
    }
    if (reservation === 'cap-reached') {
      const detail = { ...ref, reason: 'frequency-cap', suppressedAt: at };
      return (await conclude('suppressed', Events.MessageSuppressed, detail, { reason: 'frequency-cap' }, 'sending')) ? 'suppressed' : 'duplicate';
    }
  }
  let result: SendResult;
  try {
    result = await prepared.value();
  } catch (error) {
    // The provider answered with an error (throttled, 5xx): it did not take the message, so the claim
    // is given back for the retry. No answer at all (a timeout, a reset connection) leaves the claim:
    // the outcome is unknown, and a message is never sent twice.
    if (serviceAnswered(error)) {
      await ports.store.release(request.messageId);
      // Stryker disable next-line ConditionalExpression: the always replacement only: releasing a place under the cap that was never reserved changes nothing.
      if (marketing) await ports.store.releaseSend(request.profileId, request.messageId, now);
    }
    throw error;
  }
  if (!result.ok) {
    // Stryker disable next-line ConditionalExpression: the always replacement only: releasing a place under the cap that was never reserved changes nothing.
    if (marketing) await ports.store.releaseSend(request.profileId, request.messageId, now);
    await conclude('failed', Events.MessageFailed, { ...ref, error: result.error, failedAt: at }, { code: result.error.code }, 'sending');
    return 'failed';
  }
  await conclude('sent', Events.MessageSent, { ...ref, providerMessageId: result.value, sentAt: at }, { providerMessageId: result.value }, 'sending');
  return 'sent';
}

/** The products of the event a message is about (an order's, a cart's, a viewed one): what recommendations start from. */
function basketOf(event: unknown): string[] {
  const properties = (event as { properties?: { items?: unknown; productId?: unknown } } | undefined)?.properties;
  const items = Array.isArray(properties?.items) ? (properties.items as { productId?: unknown }[]) : [];
  const ids = items.flatMap((item) => (typeof item?.productId === 'string' ? [item.productId] : []));
  return typeof properties?.productId === 'string' ? [properties.productId, ...ids] : ids;
}

/** The send, ready to make; or why the message cannot be made at all (no template, a render that fails). */
type PreparedSend = Result<() => Promise<SendResult>, SendFailure>;

/**
 * Renders the message for its channel and returns the call that sends it: email through SES (with
 * the unsubscribe link and one-click headers when it is marketing), a text through AWS End User
 * Messaging, or a task to a webhook endpoint. A message that cannot be made (no such template, a
 * template for another channel, data the template cannot render) is a value: retrying would not help.
 */
async function preparedSend(request: MessageRequested, to: string, person: Profile, ports: DispatchPorts, now: number): Promise<PreparedSend> {
  const template = ports.templates.get(request.template);
  if (template === undefined) return fail({ code: 'TemplateMissing', message: `No template named ${request.template}` });
  if (template.channel !== request.channel)
    return fail({ code: 'TemplateChannelMismatch', message: `Template ${request.template} is for ${template.channel}, not ${request.channel}` });
  // Each pool's code for this message: the one it had if it was tried before. A pool with none left
  // fails the message with that reason; a code is never given twice.
  const coupon: Record<string, string> = {};
  for (const pool of template.coupons) {
    if (ports.coupons === undefined)
      return fail({ code: 'CouponPoolMissing', message: `${request.template} uses coupon.${pool}, and no coupon pools are configured` });
    const claimed = await ports.coupons.claim(pool, request.messageId, now);
    if (!claimed.ok) return claimed;
    coupon[pool] = claimed.value;
  }
  const shop = messageShop(request.context.event, person);
  const voice = shopVoice(ports.shops, shop, person, ports.senderAddress);
  const recommendations =
    template.recommends && ports.recommendations !== undefined
      ? await ports.recommendations.for(catalogueShop(shop), basketOf(request.context.event), person.boughtProducts ?? [], recommendationCount)
      : [];
  const context = {
    ...request.context,
    profile: person,
    rule: { id: request.ruleId },
    shop: voice.shop,
    language: voice.language,
    copy: voice.copy,
    coupon,
    recommendations,
  };
  const tags = {
    messageId: request.messageId,
    ruleId: request.ruleId,
    profileId: request.profileId,
    template: request.template,
    ...(request.variant === undefined ? {} : { variant: request.variant }),
  };
  // Read before rendering: a key that cannot be read now is a retryable failure, not the message's.
  const unsubscribeKey = request.channel === 'email' && request.purpose === 'marketing' ? await ports.unsubscribeKey() : undefined;
  try {
    return ok(await renderedSend(request, to, person, template, context, tags, unsubscribeKey, voice, ports));
  } catch (error) {
    return fail({ code: 'RenderFailed', message: `${request.template}: ${error instanceof Error ? error.message : String(error)}` });
  }
}

async function renderedSend(
  request: MessageRequested,
  to: string,
  person: Profile,
  template: EmailTemplate,
  context: Record<string, unknown>,
  tags: Readonly<Record<string, string>>,
  unsubscribeKey: string | undefined,
  voice: ShopVoice,
  ports: DispatchPorts,
): Promise<() => Promise<SendResult>> {
  switch (request.channel) {
    case 'email': {
      // Marketing email carries an unsubscribe link that never expires and the one-click headers (RFC 8058).
      const link =
        unsubscribeKey === undefined
          ? undefined
          : unsubscribeUrl(ports.publicUrl, unsubscribeKey, { email: to, channel: 'email', messageId: request.messageId, language: voice.language });
      const email = await renderEmail(template, { ...context, unsubscribeUrl: link }, ports.layouts, request.subject);
      const headers = link === undefined ? undefined : { 'List-Unsubscribe': `<${link}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' };
      // SES returns the tags with every event it publishes for the email (delivery, bounce, open, …).
      return () => ports.sender.send({ ...email, from: voice.sender, to, tags, headers });
    }
    case 'sms': {
      const body = await renderText(template, context);
      const sms = ports.sms;
      if (sms === undefined) return async () => fail({ code: 'NoSmsSender', message: 'No SMS sender is configured' });
      return () => sms.send({ to, body, purpose: request.purpose, tags });
    }
    case 'webhook': {
      const endpoint = ownValue(ports.policy.webhooks, to);
      const webhooks = ports.webhooks;
      if (endpoint === undefined || webhooks === undefined)
        return async () => fail({ code: 'UnknownWebhook', message: `No webhook named ${to} in config/dispatch.json` });
      const text = await renderText(template, context);
      const task = { messageId: request.messageId, ruleId: request.ruleId, profileId: request.profileId, text, profile: person, event: request.context.event };
      return () => webhooks.send(endpoint.url, task);
    }
  }
}
