import type { z } from 'zod';
import type { Channel, Money } from '#shared/events/common.js';
import * as Events from '#shared/events/index.js';
import type { SuppressionReason } from '#shared/events/message-suppressed.js';
import { fail, ok, type Result } from '#shared/result.js';

/** What one message event says about its rule and variant. */
interface MessageFactBase {
  readonly messageId: string;
  readonly ruleId: string;
  readonly variant: string | undefined;
  readonly profileId: string;
  readonly channel: Channel;
  /** Epoch ms. */
  readonly at: number;
}

/**
 * One thing the measurement service counts, with the id that makes counting it exactly once: the
 * same fact arriving again (a redelivery, a retry, an archive replay) has the same id.
 */
export type Fact =
  | (MessageFactBase & { readonly kind: 'requested' | 'sent' | 'deferred' | 'failed' | 'delivered' | 'bounced' | 'complained' | 'opened' | 'clicked' })
  | (MessageFactBase & { readonly kind: 'suppressed'; readonly reason: SuppressionReason })
  | { readonly kind: 'unsubscribed'; readonly profileId: string; readonly messageId: string; readonly at: number }
  | { readonly kind: 'order'; readonly profileId: string; readonly orderKey: string; readonly total: Money | undefined; readonly at: number }
  | {
      readonly kind: 'refund';
      readonly profileId: string;
      readonly orderKey: string;
      readonly refundKey: string;
      readonly amount: Money | undefined;
      readonly at: number;
    }
  | { readonly kind: 'merged'; readonly profileId: string; readonly mergedProfileIds: readonly string[]; readonly eventId: string };

export type MessageFact = Extract<Fact, { readonly ruleId: string }>;

/** The id under which a fact is counted once. */
export function factId(fact: Fact): string {
  switch (fact.kind) {
    case 'order':
      return `order|${fact.orderKey}`;
    case 'refund':
      return `refund|${fact.orderKey}|${fact.refundKey}`;
    case 'merged':
      return `merged|${fact.eventId}|${fact.profileId}`;
    default:
      // Opens and clicks count once per message: the report's rates are of unique opens and clicks.
      return `${fact.kind}|${fact.messageId}`;
  }
}

const messageKinds = {
  'message.requested': 'requested',
  'message.sent': 'sent',
  'message.deferred': 'deferred',
  'message.failed': 'failed',
  'message.delivered': 'delivered',
  'message.bounced': 'bounced',
  'message.complained': 'complained',
  'message.opened': 'opened',
  'message.clicked': 'clicked',
} as const;

/** When a message event happened, by its own field. */
function messageTime(detailType: string, detail: Record<string, unknown>): string {
  const field = {
    'message.requested': 'requestedAt',
    'message.sent': 'sentAt',
    'message.suppressed': 'suppressedAt',
    'message.deferred': 'deferredAt',
    'message.failed': 'failedAt',
  }[detailType];
  return String(detail[field ?? 'at']);
}

/** A time as epoch ms; SES gives its own format (ISO 8601 with milliseconds), which Date reads. */
function epoch(text: string): number | undefined {
  const at = Date.parse(text);
  return Number.isFinite(at) ? at : undefined;
}

/** `invalid`: the event breaks its contract (a user should hear of it); otherwise measurement does not count it, by design. */
export type Reading = Result<Fact, { readonly reason: string; readonly invalid?: true }>;

/**
 * What a bus event means for measurement: a `message.*` event of a rule, an order or a refund of a
 * person (from `profile.updated`, so after a merge it is the surviving profile's), an unsubscribe
 * through a message's link, or a merge. Anything else, or a detail its contract refuses, is ignored
 * with the reason: one broken event never blocks the others.
 */
export function readFact(detailType: string, detail: unknown): Reading {
  if (detailType === Events.ProfileMerged.detailType) {
    const merged = Events.ProfileMerged.schema.safeParse(detail);
    if (!merged.success) return fail({ reason: `invalid profile.merged: ${merged.error.issues[0]?.message}`, invalid: true });
    return ok({ kind: 'merged', profileId: merged.data.profileId, mergedProfileIds: merged.data.mergedProfileIds, eventId: merged.data.eventId });
  }
  if (detailType === Events.ProfileUpdated.detailType) return readProfileUpdate(detail);
  const contract = Events.catalogue.find((candidate) => candidate.detailType === detailType && candidate.detailType.startsWith('message.'));
  if (contract === undefined) return fail({ reason: `not counted: ${detailType}` });
  const parsed = (contract.schema as z.ZodType<Record<string, unknown>>).safeParse(detail);
  if (!parsed.success) return fail({ reason: `invalid ${detailType}: ${parsed.error.issues[0]?.message}`, invalid: true });
  const message = parsed.data as unknown as Events.MessageRequested.MessageRequested & { reason?: SuppressionReason };
  const at = epoch(messageTime(detailType, parsed.data));
  if (at === undefined) return fail({ reason: `${detailType} has no readable time`, invalid: true });
  const base = {
    messageId: message.messageId,
    ruleId: message.ruleId,
    variant: message.variant,
    profileId: message.profileId,
    channel: message.channel,
    at,
  };
  if (detailType === Events.MessageSuppressed.detailType) return ok({ ...base, kind: 'suppressed', reason: message.reason as SuppressionReason });
  const kind = messageKinds[detailType as keyof typeof messageKinds];
  return kind === undefined ? fail({ reason: `not counted: ${detailType}` }) : ok({ ...base, kind });
}

function readProfileUpdate(detail: unknown): Reading {
  const update = Events.ProfileUpdated.schema.safeParse(detail);
  if (!update.success) return fail({ reason: `invalid profile.updated: ${update.error.issues[0]?.message}`, invalid: true });
  const { profileId, trigger } = update.data;
  switch (trigger['detail-type']) {
    case Events.OrderCompleted.detailType: {
      const order = Events.OrderCompleted.schema.safeParse(trigger.detail);
      if (!order.success) return fail({ reason: `invalid order.completed: ${order.error.issues[0]?.message}`, invalid: true });
      const { origin, properties, occurredAt } = order.data;
      return ok({
        kind: 'order',
        profileId,
        orderKey: `${origin.platform}:${origin.shop}:${properties.orderId}`,
        total: properties.total,
        at: Date.parse(occurredAt),
      });
    }
    case Events.OrderRefunded.detailType: {
      const refund = Events.OrderRefunded.schema.safeParse(trigger.detail);
      if (!refund.success) return fail({ reason: `invalid order.refunded: ${refund.error.issues[0]?.message}`, invalid: true });
      const { origin, properties, occurredAt, eventId } = refund.data;
      return ok({
        kind: 'refund',
        profileId,
        orderKey: `${origin.platform}:${origin.shop}:${properties.orderId}`,
        // An empty refund id is no id: each such refund is its own event.
        refundKey: properties.refundId || eventId,
        amount: properties.amount,
        at: Date.parse(occurredAt),
      });
    }
    case Events.ConsentChanged.detailType: {
      const consent = Events.ConsentChanged.schema.safeParse(trigger.detail);
      if (!consent.success) return fail({ reason: `invalid consent.changed: ${consent.error.issues[0]?.message}`, invalid: true });
      const { origin, properties, occurredAt } = consent.data;
      if (origin.platform !== 'nudge' || properties.state !== 'unsubscribed' || properties.messageId === undefined)
        return fail({ reason: 'a consent change not made through a message' });
      return ok({ kind: 'unsubscribed', profileId, messageId: properties.messageId, at: Date.parse(occurredAt) });
    }
    default:
      return fail({ reason: `not counted: profile.updated after ${trigger['detail-type']}` });
  }
}
