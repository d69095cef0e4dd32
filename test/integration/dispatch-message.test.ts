import { createHash } from 'node:crypto';
import { DispatchStore } from '#services/dispatch/adapters/dispatch-store.js';
import type { OutgoingEmail, SendResult } from '#services/dispatch/adapters/ses-sender.js';
import type { OutgoingText } from '#services/dispatch/adapters/sms-sender.js';
import { parseTemplate } from '#services/dispatch/core/template.js';
import { DeferralNotDueError, type DispatchPorts, dispatchMessage, SendInProgressError } from '#services/dispatch/dispatch-message.js';
import type { Decision } from '#shared/decisions.js';
import type { Contract } from '#shared/events/index.js';
import type { MessageRequested } from '#shared/events/message-requested.js';
import type { Profile } from '#shared/events/profile.js';
import { fail, ok } from '#shared/result.js';
import { keys, sendLeaseMillis } from '#shared/table.js';
import { verifyUnsubscribe } from '#shared/unsubscribe.js';
import { dispatchPolicy, messageRequest } from '../support/dispatch.js';
import { freshTable, type TestTable } from '../support/table.js';

/**
 * One message request through dispatch, on the real send-once ledger and cap reservations in
 * DynamoDB Local; the provider, the bus and the scheduler are recorders that can fail as AWS does.
 */
const now = Date.parse('2026-11-29T12:00:00Z');
let table: TestTable;
let store: DispatchStore;
let serial = 0;
const unique = (prefix: string) => `${prefix}-${++serial}-${Math.random().toString(36).slice(2, 8)}`;

beforeAll(async () => {
  table = await freshTable();
  store = new DispatchStore(table.client, table.tableName);
});
afterAll(async () => {
  await table?.stop();
});

class ServiceError extends Error {
  readonly $metadata = { httpStatusCode: 500 };
}

interface World {
  readonly ports: DispatchPorts;
  readonly emails: OutgoingEmail[];
  readonly texts: OutgoingText[];
  readonly tasks: { url: string; task: Record<string, unknown> }[];
  readonly published: { type: string; detail: Record<string, unknown> }[];
  readonly schedules: { name: string; at: number; detail: Record<string, unknown> }[];
  readonly decisions: Decision[];
  /** What the provider does with the next send, then with every one after it. */
  next: Array<(email: OutgoingEmail) => Promise<SendResult>>;
}

function world(people: readonly Profile[], overrides: Partial<DispatchPorts> = {}): World {
  const state: World = {
    emails: [],
    texts: [],
    tasks: [],
    published: [],
    schedules: [],
    decisions: [],
    next: [],
    ports: undefined as unknown as DispatchPorts,
  };
  const ports: DispatchPorts = {
    store,
    profiles: { get: async (profileId) => people.find((person) => person.profileId === profileId) },
    schedules: {
      create: async (name, at, event) => {
        state.schedules.push({ name, at, detail: event.detail as Record<string, unknown> });
      },
    },
    sender: {
      send: async (email) => {
        const step = state.next.shift();
        if (step) return step(email);
        state.emails.push(email);
        return ok(`ses-${state.emails.length}`);
      },
    },
    sms: {
      send: async (text) => {
        state.texts.push(text);
        return ok('sms-1');
      },
    },
    webhooks: {
      send: async (url, task) => {
        state.tasks.push({ url, task });
        return ok('task-1');
      },
    },
    publisher: {
      publish: async (contract: Contract, detail) => {
        state.published.push({ type: contract.detailType, detail: detail as Record<string, unknown> });
      },
    },
    templates: new Map([
      ['win-back', parseTemplate('win-back', '---\nsubject: We miss you, {{ profile.firstName }}\n---\n<p>Come back</p>')],
      ['text', parseTemplate('text', '---\nchannel: sms\n---\nHi {{ profile.firstName }}')],
      ['task', parseTemplate('task', '---\nchannel: webhook\n---\nCall {{ profile.firstName }}')],
      ['coupon', parseTemplate('coupon', '---\nsubject: A gift\n---\n<p>{{ coupon.welcome }}</p>')],
    ]),
    policy: dispatchPolicy,
    senderAddress: 'Shop <shop@example.com>',
    shops: {},
    publicUrl: 'https://nudge.example.com',
    unsubscribeKey: async () => 'k'.repeat(40),
    decisions: {
      record: async (decisions) => {
        state.decisions.push(...decisions);
      },
    },
    ...overrides,
  };
  return Object.assign(state, { ports });
}

const person = (fields: Partial<Profile> = {}): Profile => ({
  profileId: unique('p'),
  email: `${unique('kim')}@example.com`,
  firstName: 'Kim',
  orderCount: 1,
  revenue: {},
  firstSeenAt: '2026-01-01T00:00:00.000Z',
  lastSeenAt: '2026-11-01T00:00:00.000Z',
  traitsAt: {},
  ...fields,
});
const request = (profile: Profile, overrides: Partial<MessageRequested> = {}) =>
  messageRequest(unique('m'), profile, { requestedAt: new Date(now - 1000).toISOString(), ...overrides });
const types = (w: World) => w.published.map((entry) => entry.type);
/** Five marketing sends in the last six days: the policy's weekly cap. */
async function atTheWeeklyCap(profile: Profile): Promise<void> {
  for (const daysAgo of [6, 5, 4, 3, 2]) await store.reserveSend(profile.profileId, `earlier-${daysAgo}`, now - daysAgo * 86_400_000, () => true);
}

describe('dispatching one message', () => {
  it('sends a marketing email once, with its unsubscribe link and one-click headers, and announces it', async () => {
    const kim = person();
    const w = world([kim]);
    const asked = request(kim);
    expect(await dispatchMessage(asked, w.ports, now)).toBe('sent');
    expect(w.emails).toHaveLength(1);
    expect(w.emails[0]).toMatchObject({
      to: kim.email,
      from: 'Shop <shop@example.com>',
      subject: 'We miss you, Kim',
      tags: { messageId: asked.messageId, ruleId: 'win-back' },
    });
    expect(w.emails[0]?.headers?.['List-Unsubscribe']).toMatch(/^<https:\/\/nudge\.example\.com\/.+>$/);
    expect(w.emails[0]?.headers?.['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    expect(w.published).toEqual([
      {
        type: 'message.sent',
        detail: expect.objectContaining({ messageId: asked.messageId, providerMessageId: 'ses-1', sentAt: new Date(now).toISOString() }),
      },
    ]);
    expect(w.decisions).toStrictEqual([{ profileId: kim.profileId, ruleId: 'win-back', kind: 'sent', at: now, messageId: asked.messageId }]);
    expect(w.emails[0]?.tags).toStrictEqual({ messageId: asked.messageId, ruleId: 'win-back', profileId: kim.profileId, template: 'win-back' });
    const token = new URL((w.emails[0]?.headers?.['List-Unsubscribe'] ?? '').slice(1, -1)).searchParams.get('token') ?? '';
    expect(verifyUnsubscribe('k'.repeat(40), token)).toEqual({ email: kim.email, channel: 'email', messageId: asked.messageId, language: 'en' });
    expect(await store.ledger(asked.messageId)).toEqual({ state: 'sent', announcement: undefined });
    expect(await store.marketingSentSince(kim.profileId, 0)).toEqual([now]);
    expect(await dispatchMessage(asked, w.ports, now + 1)).toBe('duplicate');
    expect(w.emails).toHaveLength(1);
  });

  it('sends a receipt without an unsubscribe link and without counting it for the caps', async () => {
    const kim = person();
    const w = world([kim]);
    expect(await dispatchMessage(request(kim, { purpose: 'transactional' }), w.ports, now)).toBe('sent');
    expect(w.emails[0]?.headers).toBeUndefined();
    expect(await store.marketingSentSince(kim.profileId, 0)).toEqual([]);
  });

  it('dates its decision after the request, whatever the two services’ clocks say', async () => {
    const kim = person();
    const w = world([kim]);
    await dispatchMessage(request(kim, { requestedAt: new Date(now + 5000).toISOString() }), w.ports, now);
    expect(w.decisions[0]?.at).toBe(now + 5000);
  });

  it('suppresses with the reason, for the person as they are now: an erased person has no address', async () => {
    const kim = person({ consent: { email: { state: 'unsubscribed', at: '2026-11-01T00:00:00.000Z', source: 'shopify' } } });
    const w = world([kim]);
    const asked = request(kim);
    expect(await dispatchMessage(asked, w.ports, now)).toBe('suppressed');
    expect(w.published).toEqual([
      {
        type: 'message.suppressed',
        detail: expect.objectContaining({ messageId: asked.messageId, reason: 'unsubscribed', suppressedAt: new Date(now).toISOString() }),
      },
    ]);
    expect(w.decisions[0]).toMatchObject({ kind: 'suppressed', reason: 'unsubscribed' });
    const erased = world([]);
    expect(await dispatchMessage(request(person()), erased.ports, now)).toBe('suppressed');
    expect(erased.published[0]?.detail).toMatchObject({ reason: 'no-address' });
  });

  it('never mails a suppressed address, and texts a suppressed phone never either', async () => {
    const kim = person({ phone: '+14155550199', consent: { sms: { state: 'subscribed', at: '2026-11-01T00:00:00.000Z', source: 'shopify' } } });
    await store.suppress('email', kim.email as string, 'hard-bounce', now);
    await store.suppress('phone', '+14155550199', 'stop', now);
    const w = world([kim]);
    expect(await dispatchMessage(request(kim), w.ports, now)).toBe('suppressed');
    expect(await dispatchMessage(request(kim, { channel: 'sms', template: 'text' }), w.ports, now)).toBe('suppressed');
    expect(w.published.map((entry) => entry.detail.reason)).toEqual(['suppressed', 'suppressed']);
  });

  it('counts the last week’s marketing sends for the caps', async () => {
    const kim = person();
    const w = world([kim]);
    await atTheWeeklyCap(kim);
    expect(await dispatchMessage(request(kim), w.ports, now)).toBe('suppressed');
    expect(w.published[0]?.detail.reason).toBe('frequency-cap');
  });

  it('defers a message due in quiet hours to their end with a one-time schedule, and it is a duplicate until then', async () => {
    const kim = person({ timeZone: 'America/Los_Angeles' });
    const w = world([kim]);
    const asked = request(kim);
    // 12:00 UTC is 04:00 in Los Angeles: until 08:00 there, 16:00 UTC.
    const until = Date.parse('2026-11-29T16:00:00Z');
    expect(await dispatchMessage(asked, w.ports, now)).toBe('deferred');
    expect(w.schedules).toEqual([
      {
        name: `d-${createHash('sha256').update(`${asked.messageId}|${until}`).digest('hex').slice(0, 40)}`,
        at: until,
        detail: { ...asked, deferredUntil: new Date(until).toISOString() },
      },
    ]);
    expect(w.published).toEqual([
      {
        type: 'message.deferred',
        detail: expect.objectContaining({ until: new Date(until).toISOString(), reason: 'quiet-hours', deferredAt: new Date(now).toISOString() }),
      },
    ]);
    expect(w.decisions[0]).toMatchObject({ kind: 'deferred', reason: 'quiet-hours', until });
    expect(await dispatchMessage(asked, w.ports, until - 60_001)).toBe('duplicate');
    // A minute early the request is retried (clocks a little apart), so it goes at the end of quiet hours, once.
    await expect(dispatchMessage(asked, w.ports, until - 60_000)).rejects.toThrow(
      new DeferralNotDueError(`Message ${asked.messageId} is deferred until 2026-11-29T16:00:00.000Z`),
    );
    expect(await dispatchMessage(asked, w.ports, until)).toBe('sent');
    expect(await dispatchMessage(asked, w.ports, until + 1)).toBe('duplicate');
    expect(w.emails).toHaveLength(1);
    // The early request made the schedule again, under the same name: the Scheduler keeps one.
    expect(new Set(w.schedules.map((schedule) => schedule.name)).size).toBe(1);
  });

  it('fails at once what can never succeed: no such template, a template for another channel, a coupon with no pools', async () => {
    const kim = person();
    const w = world([kim]);
    expect(await dispatchMessage(request(kim, { template: 'nothing' }), w.ports, now)).toBe('failed');
    expect(await dispatchMessage(request(kim, { template: 'text' }), w.ports, now)).toBe('failed');
    expect(await dispatchMessage(request(kim, { template: 'coupon' }), w.ports, now)).toBe('failed');
    expect(w.published.map((entry) => entry.detail.error)).toEqual([
      { code: 'TemplateMissing', message: 'No template named nothing' },
      { code: 'TemplateChannelMismatch', message: 'Template text is for sms, not email' },
      { code: 'CouponPoolMissing', message: 'coupon uses coupon.welcome, and no coupon pools are configured' },
    ]);
    expect(w.decisions.map((decision) => [decision.kind, decision.reason])).toEqual([
      ['failed', 'TemplateMissing'],
      ['failed', 'TemplateChannelMismatch'],
      ['failed', 'CouponPoolMissing'],
    ]);
    expect(w.emails).toEqual([]);
  });

  it('gives the claim and the cap back when the provider answers with an error, so the retry sends', async () => {
    const kim = person();
    const w = world([kim]);
    const asked = request(kim);
    w.next.push(async () => {
      throw new ServiceError('Rate exceeded');
    });
    await expect(dispatchMessage(asked, w.ports, now)).rejects.toThrow('Rate exceeded');
    expect(await store.ledger(asked.messageId)).toBeUndefined();
    expect(await store.marketingSentSince(kim.profileId, 0)).toEqual([]);
    expect(await dispatchMessage(asked, w.ports, now + 1)).toBe('sent');
  });

  it('keeps the claim when the provider never answered: the message is reported uncertain, never sent twice', async () => {
    const kim = person();
    const w = world([kim]);
    const asked = request(kim);
    w.next.push(async () => {
      throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError', $metadata: { attempts: 1 } });
    });
    await expect(dispatchMessage(asked, w.ports, now)).rejects.toThrow('socket hang up');
    await expect(dispatchMessage(asked, w.ports, now + sendLeaseMillis - 1)).rejects.toThrow(
      new SendInProgressError(`Message ${asked.messageId} is being sent by another delivery`),
    );
    expect(await dispatchMessage(asked, w.ports, now + sendLeaseMillis)).toBe('uncertain');
    expect(w.published.at(-1)).toEqual({
      type: 'message.failed',
      detail: expect.objectContaining({
        error: { code: 'OutcomeUnknown', message: 'A send was started and not confirmed; it is not repeated, so it went once or not at all.' },
      }),
    });
    expect(w.decisions.at(-1)).toMatchObject({ kind: 'failed', reason: 'OutcomeUnknown' });
    expect(await store.marketingSentSince(kim.profileId, 0)).toEqual([now]);
    expect(await dispatchMessage(asked, w.ports, now + sendLeaseMillis + 1)).toBe('duplicate');
    expect(w.emails).toEqual([]);
  });

  it('fails a message the provider refuses, and takes its place under the cap back', async () => {
    const kim = person();
    const w = world([kim]);
    const asked = request(kim);
    w.next.push(async () => fail({ code: 'MessageRejected', message: 'Email address is not verified.' }));
    expect(await dispatchMessage(asked, w.ports, now)).toBe('failed');
    expect(w.published).toEqual([
      { type: 'message.failed', detail: expect.objectContaining({ error: { code: 'MessageRejected', message: 'Email address is not verified.' } }) },
    ]);
    expect(await store.marketingSentSince(kim.profileId, 0)).toEqual([]);
    expect(await store.ledger(asked.messageId)).toMatchObject({ state: 'failed' });
  });

  it('announces on a retry a decision whose event never reached the bus', async () => {
    const kim = person();
    let failures = 1;
    const w = world([kim]);
    const flaky = world([kim], {
      publisher: {
        publish: async (contract, detail) => {
          if (failures-- > 0) throw new Error('PutEvents failed');
          w.published.push({ type: contract.detailType, detail: detail as Record<string, unknown> });
        },
      },
    });
    const asked = request(kim);
    await expect(dispatchMessage(asked, flaky.ports, now)).rejects.toThrow('PutEvents failed');
    expect(flaky.emails).toHaveLength(1);
    expect(await dispatchMessage(asked, flaky.ports, now + 1)).toBe('duplicate');
    expect(types(w)).toEqual(['message.sent']);
    expect(await store.ledger(asked.messageId)).toEqual({ state: 'sent', announcement: undefined });
    expect(await dispatchMessage(asked, flaky.ports, now + 2)).toBe('duplicate');
    expect(types(w)).toEqual(['message.sent']);
  });

  it('stops at the cap when concurrent sends took the last places after the gate looked', async () => {
    const kim = person();
    const w = world([kim]);
    const asked = [request(kim), request(kim), request(kim), request(kim)];
    const outcomes = await Promise.all(asked.map((each) => dispatchMessage(each, w.ports, now)));
    expect(outcomes.filter((outcome) => outcome === 'sent')).toHaveLength(2);
    expect(outcomes.filter((outcome) => outcome === 'suppressed')).toHaveLength(2);
    expect(w.emails).toHaveLength(2);
    expect(w.published.filter((entry) => entry.type === 'message.suppressed').map((entry) => entry.detail)).toEqual([
      expect.objectContaining({ reason: 'frequency-cap', suppressedAt: new Date(now).toISOString() }),
      expect.objectContaining({ reason: 'frequency-cap', suppressedAt: new Date(now).toISOString() }),
    ]);
    expect(w.decisions.filter((decision) => decision.kind === 'suppressed').map((decision) => decision.reason)).toEqual(['frequency-cap', 'frequency-cap']);
  });
});

describe('texts and webhook tasks', () => {
  it('texts an opted-in phone, marketing or not', async () => {
    const kim = person({ phone: '+14155550123', consent: { sms: { state: 'subscribed', at: '2026-11-01T00:00:00.000Z', source: 'shopify' } } });
    const w = world([kim]);
    expect(await dispatchMessage(request(kim, { channel: 'sms', template: 'text' }), w.ports, now)).toBe('sent');
    expect(w.texts).toEqual([expect.objectContaining({ to: '+14155550123', body: 'Hi Kim', purpose: 'marketing' })]);
    const noSender = world([kim], { sms: undefined });
    expect(await dispatchMessage(request(kim, { channel: 'sms', template: 'text' }), noSender.ports, now)).toBe('failed');
    expect(noSender.published[0]?.detail.error).toEqual({ code: 'NoSmsSender', message: 'No SMS sender is configured' });
    // A text carries no unsubscribe link, so it goes even when the link's key cannot be read.
    const noKey = world([kim], {
      unsubscribeKey: async () => {
        throw new Error('Secrets Manager is unreachable');
      },
    });
    expect(await dispatchMessage(request(kim, { channel: 'sms', template: 'text' }), noKey.ports, now)).toBe('sent');
  });

  it('posts a task to a named endpoint, and fails one naming an endpoint the policy does not have', async () => {
    const kim = person();
    const w = world([kim]);
    const asked = request(kim, { channel: 'webhook', template: 'task', webhook: 'call-centre' });
    expect(await dispatchMessage(asked, w.ports, now)).toBe('sent');
    expect(w.tasks).toEqual([
      {
        url: 'https://crm.example.com/tasks',
        task: expect.objectContaining({ messageId: asked.messageId, ruleId: 'win-back', profileId: kim.profileId, text: 'Call Kim' }),
      },
    ]);
    expect(await dispatchMessage(request(kim, { channel: 'webhook', template: 'task', webhook: 'constructor' }), w.ports, now)).toBe('failed');
    expect(w.published.at(-1)?.detail.error).toEqual({ code: 'UnknownWebhook', message: 'No webhook named constructor in config/dispatch.json' });
    const noSender = world([kim], { webhooks: undefined });
    expect(await dispatchMessage(request(kim, { channel: 'webhook', template: 'task', webhook: 'call-centre' }), noSender.ports, now)).toBe('failed');
    expect(noSender.published[0]?.detail.error).toMatchObject({ code: 'UnknownWebhook' });
  });
});

/** The store, with ledger reads that wait for each other: every delivery sees the ledger as it was before any of them wrote. */
function inLockstep(parties: number): DispatchStore {
  let waiting: (() => void)[] = [];
  const lockstep = Object.create(store) as DispatchStore;
  lockstep.ledger = async (messageId) => {
    const entry = await store.ledger(messageId);
    await new Promise<void>((resolve) => {
      waiting.push(resolve);
      if (waiting.length < parties) return;
      for (const go of waiting) go();
      waiting = [];
    });
    return entry;
  };
  return lockstep;
}

describe('one message, two deliveries at the same moment', () => {
  const twice = async (asked: MessageRequested, w: World) => (await Promise.all([0, 1].map(() => dispatchMessage(asked, w.ports, now)))).sort();

  it('decides it once and announces it once, whatever the decision', async () => {
    const unsubscribed = person({ consent: { email: { state: 'unsubscribed', at: '2026-11-01T00:00:00.000Z', source: 'shopify' } } });
    const asleep = person({ timeZone: 'America/Los_Angeles' });
    const kim = person();
    for (const [asked, people, expected] of [
      [request(unsubscribed), [unsubscribed], 'suppressed'],
      [request(asleep), [asleep], 'deferred'],
      [request(kim, { template: 'nothing' }), [kim], 'failed'],
      [request(kim), [kim], 'sent'],
    ] as const) {
      const w = world(people, { store: inLockstep(2) });
      expect(await twice(asked, w)).toEqual(['duplicate', expected].sort());
      expect(w.published).toHaveLength(1);
      expect(w.decisions).toHaveLength(1);
    }
  });

  it('sends a deferred message once when two deliveries take it up at its time', async () => {
    const asleep = person({ timeZone: 'America/Los_Angeles' });
    const asked = request(asleep);
    const until = Date.parse('2026-11-29T16:00:00Z');
    expect(await dispatchMessage(asked, world([asleep]).ports, now)).toBe('deferred');
    const w = world([asleep], { store: inLockstep(2) });
    const outcomes = await Promise.all([0, 1].map(() => dispatchMessage(asked, w.ports, until)));
    expect(outcomes.sort()).toEqual(['duplicate', 'sent']);
    expect(w.emails).toHaveLength(1);
  });

  it('reports a send whose outcome is unknown once', async () => {
    const kim = person();
    const asked = request(kim);
    await store.record(asked.messageId, { state: 'sending', leaseUntil: now - 1 }, now - sendLeaseMillis);
    const w = world([kim], { store: inLockstep(2) });
    expect(await twice(asked, w)).toEqual(['duplicate', 'uncertain']);
    expect(types(w)).toEqual(['message.failed']);
  });
});

describe('what a message carries, and where it stops', () => {
  const picksTemplate = parseTemplate(
    'picks',
    '---\nsubject: For you\n---\n<p>{{ rule.id }}:{% for product in recommendations %} {{ product.title }}{% endfor %}</p>',
  );
  const recommender = () => {
    const asked: unknown[][] = [];
    return {
      asked,
      port: {
        for: async (...args: [string, readonly string[], readonly string[], number]) => {
          asked.push(args);
          return [{ productId: 'p-9', title: 'Wool socks' }] as never;
        },
      },
    };
  };

  it('recommends from the products of the event it is about and what the person bought, four at most', async () => {
    const kim = person({ boughtProducts: ['p-old'] });
    const { asked, port } = recommender();
    const w = world([kim], { recommendations: port, templates: new Map([...world([]).ports.templates, ['picks', picksTemplate]]) });
    const event = {
      origin: { shop: 'Negozio.myshopify.com' },
      properties: { productId: 'p-viewed', items: [{ productId: 'p-1' }, { productId: 7 }, null, {}] },
    };
    expect(await dispatchMessage(request(kim, { template: 'picks', context: { profile: kim, event } }), w.ports, now)).toBe('sent');
    expect(asked).toEqual([['negozio.myshopify.com', ['p-viewed', 'p-1'], ['p-old'], 4]]);
    expect(w.emails[0]?.html).toContain('<p>win-back: Wool socks</p>');
    const ann = person();
    expect(
      await dispatchMessage(
        request(ann, { template: 'picks', context: { profile: ann, event: { properties: { items: 'p-1' } } } }),
        world([ann], { recommendations: port, templates: w.ports.templates }).ports,
        now,
      ),
    ).toBe('sent');
    expect(asked[1]).toEqual(['-', [], [], 4]);
    // Without a recommender configured, a template that shows recommendations shows none.
    const bea = person();
    const none = world([bea], { templates: w.ports.templates });
    expect(await dispatchMessage(request(bea, { template: 'picks' }), none.ports, now)).toBe('sent');
    expect(none.emails[0]?.html).toContain('<p>win-back:</p>');
    // A template that shows no recommendations asks for none.
    expect(await dispatchMessage(request(ann), world([ann], { recommendations: port }).ports, now + 1)).toBe('sent');
    expect(asked).toHaveLength(2);
  });

  it('gives each message a coupon code from its pool, fails it when the pool is empty, and spends none on a person at the cap', async () => {
    const claims: string[] = [];
    let left = 1;
    const coupons = {
      claim: async (pool: string, messageId: string) => {
        claims.push(`${pool}:${messageId}`);
        return left-- > 0 ? ok('GIFT-1') : fail({ code: 'CouponPoolEmpty', message: 'No codes left in welcome' });
      },
    };
    const kim = person();
    const w = world([kim], { coupons });
    const gift = request(kim, { template: 'coupon' });
    expect(await dispatchMessage(gift, w.ports, now)).toBe('sent');
    expect(w.emails[0]?.html).toContain('GIFT-1');
    expect(await dispatchMessage(request(kim, { template: 'coupon' }), w.ports, now + 1)).toBe('failed');
    expect(w.published.at(-1)?.detail.error).toEqual({ code: 'CouponPoolEmpty', message: 'No codes left in welcome' });

    const capped = person();
    await atTheWeeklyCap(capped);
    const before = claims.length;
    expect(await dispatchMessage(request(capped, { template: 'coupon' }), world([capped], { coupons }).ports, now)).toBe('suppressed');
    expect(claims).toHaveLength(before);
  });

  it('counts only the last week’s sends for the caps', async () => {
    const kim = person();
    for (const index of [0, 1, 2, 3, 4]) await store.reserveSend(kim.profileId, `long-ago-${index}`, now - 8 * 86_400_000 - index, () => true);
    expect(await dispatchMessage(request(kim), world([kim]).ports, now)).toBe('sent');
  });

  it('carries an A/B variant in its announcement and in the email’s tags', async () => {
    const kim = person();
    const w = world([kim]);
    const asked = request(kim, { variant: 'short-subject' });
    expect(await dispatchMessage(asked, w.ports, now)).toBe('sent');
    expect(w.published[0]?.detail).toMatchObject({ variant: 'short-subject' });
    expect(w.emails[0]?.tags).toMatchObject({ variant: 'short-subject' });
    const plain = world([kim]);
    await dispatchMessage(request(kim), plain.ports, now);
    expect(plain.published[0]?.detail).not.toHaveProperty('variant');
  });

  it('fails a message its template cannot render, with the template’s name and why', async () => {
    const kim = person();
    const w = world([kim], { templates: new Map([['framed', parseTemplate('framed', '---\nsubject: Hi\nlayout: gone\n---\n<p>Hi</p>')]]) });
    expect(await dispatchMessage(request(kim, { template: 'framed' }), w.ports, now)).toBe('failed');
    expect(w.published[0]?.detail.error).toEqual({ code: 'RenderFailed', message: 'framed: framed.liquid: no layout templates/layouts/gone.liquid' });
  });

  it('keeps the provider’s message id and a failure’s code in the ledger, for support', async () => {
    const kim = person();
    const w = world([kim]);
    const sent = request(kim);
    const missing = request(kim, { template: 'nothing' });
    await dispatchMessage(sent, w.ports, now);
    await dispatchMessage(missing, w.ports, now);
    expect(await table.item(keys.messageLedger(sent.messageId))).toMatchObject({ state: 'sent', providerMessageId: 'ses-1' });
    expect(await table.item(keys.messageLedger(missing.messageId))).toMatchObject({ state: 'failed', code: 'TemplateMissing' });
  });

  it('sends without a decision trail, and gives the claim back when the cap cannot be reserved', async () => {
    const kim = person();
    expect(await dispatchMessage(request(kim), world([kim], { decisions: undefined }).ports, now)).toBe('sent');
    const busy = Object.create(store) as DispatchStore;
    busy.reserveSend = async () => {
      throw new Error(`Could not reserve a send for ${kim.profileId}: too many concurrent sends; retrying later`);
    };
    const asked = request(kim);
    await expect(dispatchMessage(asked, world([kim], { store: busy }).ports, now)).rejects.toThrow('too many concurrent sends');
    expect(await store.ledger(asked.messageId)).toBeUndefined();
    expect(await dispatchMessage(asked, world([kim]).ports, now)).toBe('sent');
  });

  it('announces nothing for a decision whose event no longer exists', async () => {
    const kim = person();
    const asked = request(kim);
    await store.record(asked.messageId, { state: 'sent', announcement: { detailType: 'message.retired', detail: {} } }, now);
    const w = world([kim]);
    expect(await dispatchMessage(asked, w.ports, now)).toBe('duplicate');
    expect(w.published).toEqual([]);
  });

  it('makes a deferred message’s schedule again when the delivery that deferred it failed before making it', async () => {
    const asleep = person({ timeZone: 'America/Los_Angeles' });
    const asked = request(asleep);
    const broken = world([asleep], {
      schedules: {
        create: async () => {
          throw new Error('Scheduler is unreachable');
        },
      },
    });
    await expect(dispatchMessage(asked, broken.ports, now)).rejects.toThrow('Scheduler is unreachable');
    const retry = world([asleep]);
    expect(await dispatchMessage(asked, retry.ports, now + 1000)).toBe('duplicate');
    expect(retry.schedules.map((schedule) => schedule.at)).toEqual([Date.parse('2026-11-29T16:00:00Z')]);
  });

  it('sends no webhook task about someone erased since the rule fired', async () => {
    const kim = person();
    const w = world([]);
    expect(await dispatchMessage(request(kim, { channel: 'webhook', template: 'task', webhook: 'call-centre' }), w.ports, now)).toBe('suppressed');
    expect(w.tasks).toEqual([]);
    expect(w.published[0]?.detail).toMatchObject({ reason: 'no-address' });
  });

  it('texts no one who was erased since the rule fired, though the request still has their phone', async () => {
    const kim = person({ phone: '+14155550123', consent: { sms: { state: 'subscribed', at: '2026-11-01T00:00:00.000Z', source: 'shopify' } } });
    const w = world([]);
    expect(await dispatchMessage(request(kim, { channel: 'sms', template: 'text' }), w.ports, now)).toBe('suppressed');
    expect(w.texts).toEqual([]);
    expect(w.published[0]?.detail).toMatchObject({ reason: 'no-address' });
  });
});
