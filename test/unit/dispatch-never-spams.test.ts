import { DateTime } from 'luxon';
import type { LedgerEntry } from '#services/dispatch/adapters/dispatch-store.js';
import type { OutgoingEmail, SendResult } from '#services/dispatch/adapters/ses-sender.js';
import { parseTemplate } from '#services/dispatch/core/template.js';
import { type DispatchPorts, dispatchMessage } from '#services/dispatch/dispatch-message.js';
import type { MessageRequested } from '#shared/events/message-requested.js';
import type { Profile } from '#shared/events/profile.js';
import { fail, ok } from '#shared/result.js';
import { random } from '../../bench/random.js';
import { dispatchPolicy } from '../support/dispatch.js';

/**
 * The randomised no-spam test: 10,000 message requests over 2,000 people with random consent,
 * suppressed addresses and time zones, many requests delivered more than once, through the real
 * dispatch code with SES failing at random (throttling, 5xx, timeouts before and after SES took
 * the email, permanent rejections), delivered the way the SQS queue delivers: a failed delivery
 * comes back after the visibility timeout, three receives at most, then the dead-letter queue.
 */

const policy = dispatchPolicy;
const zones = ['UTC', 'Europe/Berlin', 'America/New_York', 'America/Los_Angeles', 'Asia/Tokyo', 'Australia/Sydney'];
const visibilityTimeout = 180_000;
const maxReceives = 3;

class FakeSesError extends Error {
  readonly $metadata = { httpStatusCode: 500 };
}

function world(seed: number) {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const people: Profile[] = Array.from({ length: 2000 }, (_, index) => {
    const roll = next();
    const state = roll < 0.25 ? 'unsubscribed' : roll < 0.5 ? 'subscribed' : roll < 0.6 ? 'not-subscribed' : undefined;
    return {
      profileId: `p${index}`,
      email: next() < 0.03 ? undefined : `person${index}@example.com`,
      timeZone: pick(zones),
      orderCount: 1,
      revenue: {},
      firstSeenAt: '2026-01-01T00:00:00.000Z',
      lastSeenAt: '2026-11-01T00:00:00.000Z',
      traitsAt: {},
      ...(state ? { consent: { email: { state, at: '2026-10-01T00:00:00.000Z', source: 'shopify' } } } : {}),
    } as Profile;
  });
  const suppressed = new Set(
    people
      .filter(() => next() < 0.1)
      .map((person) => person.email)
      .filter((email): email is string => email !== undefined),
  );

  const ledger = new Map<string, LedgerEntry & Record<string, unknown>>();
  const sent = new Map<string, { messageId: string; at: number }[]>();
  const inbox: { messageId: string; to: string; at: number; purpose: string; profileId: string }[] = [];
  const events: { type: string; messageId: string; reason?: string }[] = [];
  const reRequests: { request: MessageRequested; at: number }[] = [];
  let clock = 0;

  const ports: DispatchPorts = {
    store: {
      ledger: async (messageId) => ledger.get(messageId),
      record: async (messageId, entry, _now, fields = {}, from) => {
        const current = ledger.get(messageId);
        // As the DynamoDB store: only from what the caller read (nothing, a state, or the deferral as it was).
        const allowed =
          from === undefined
            ? current === undefined
            : typeof from === 'string'
              ? current?.state === from
              : current?.state === 'deferred' && current.until === from.until;
        if (allowed) ledger.set(messageId, { ...entry, ...fields });
        return allowed;
      },
      announced: async (messageId) => {
        const entry = ledger.get(messageId);
        if (entry !== undefined) ledger.set(messageId, { ...entry, announcement: undefined });
      },
      release: async (messageId) => {
        if (ledger.get(messageId)?.state === 'sending') ledger.delete(messageId);
      },
      reserveSend: async (profileId, messageId, now, allowed) => {
        const sends = sent.get(profileId) ?? [];
        if (sends.some((entry) => entry.messageId === messageId)) return 'reserved';
        if (!allowed(sends.map((entry) => entry.at))) return 'cap-reached';
        sent.set(profileId, [...sends, { messageId, at: now }]);
        return 'reserved';
      },
      releaseSend: async (profileId, messageId) => {
        sent.set(
          profileId,
          (sent.get(profileId) ?? []).filter((entry) => entry.messageId !== messageId),
        );
      },
      marketingSentSince: async (profileId, since) => (sent.get(profileId) ?? []).map((entry) => entry.at).filter((at) => at >= since),
      isSuppressed: async (_kind, address) => suppressed.has(address),
    },
    profiles: { get: async (profileId) => people[Number(profileId.slice(1))] },
    schedules: {
      create: async (_name, dueAt, event) => {
        reRequests.push({ request: event.detail as MessageRequested, at: dueAt });
      },
    },
    sender: {
      // SES, failing at random the ways it does.
      send: async (email: OutgoingEmail): Promise<SendResult> => {
        const roll = next();
        const deliver = () =>
          inbox.push({
            messageId: email.tags.messageId as string,
            to: email.to,
            at: clock,
            purpose: email.headers ? 'marketing' : 'transactional',
            profileId: email.tags.profileId as string,
          });
        if (roll < 0.08) throw Object.assign(new FakeSesError('Rate exceeded'), { name: 'TooManyRequestsException' });
        if (roll < 0.12) throw Object.assign(new FakeSesError('Internal failure'), { name: 'InternalFailure' });
        // The SDK puts $metadata (attempts, no status) on errors that got no answer too.
        if (roll < 0.14) throw Object.assign(new Error('socket hang up before SES answered'), { name: 'TimeoutError', $metadata: { attempts: 1 } });
        if (roll < 0.16) {
          // SES took the email, and the answer was lost: the worst case for "at most once".
          deliver();
          throw Object.assign(new Error('socket hang up after SES took the email'), { name: 'TimeoutError', $metadata: { attempts: 1 } });
        }
        if (roll < 0.18) return fail({ code: 'MessageRejected', message: 'Email address is not verified.' });
        deliver();
        return ok(`ses-${inbox.length}`);
      },
    },
    publisher: {
      publish: async (contract, detail) => {
        // EventBridge refuses now and then too: the delivery is retried and must still announce the decision.
        if (next() < 0.02) throw Object.assign(new Error('PutEvents failed'), { name: 'InternalException' });
        const { messageId, reason } = detail as { messageId: string; reason?: string };
        events.push({ type: contract.detailType, messageId, ...(reason ? { reason } : {}) });
      },
    },
    templates: new Map([['note', parseTemplate('note', '---\nsubject: Hello {{ profile.firstName | default: "friend" }}\n---\n<p>Hi</p>')]]),
    policy,
    senderAddress: 'Shop <shop@example.com>',
    shops: {},
    publicUrl: 'https://nudge.example.com',
    unsubscribeKey: async () => 'k'.repeat(40),
  };

  const start = Date.parse('2026-11-23T00:00:00Z');
  const requests: MessageRequested[] = Array.from({ length: 10_000 }, (_, index) => {
    const person = pick(people);
    return {
      messageId: `msg-${index}`,
      ruleId: `rule-${index % 12}`,
      profileId: person.profileId,
      channel: 'email',
      template: 'note',
      purpose: next() < 0.1 ? 'transactional' : 'marketing',
      holdoutPercent: index % 12 === 0 ? 10 : 0,
      requestedAt: new Date(start).toISOString(),
      context: { profile: person, event: {} },
    };
  });
  // Deliveries over three days, a fifth of them twice or three times (a retried rule, an at-least-once bus).
  const deliveries = requests.flatMap((request) => {
    const copies = next() < 0.2 ? 2 + Math.floor(next() * 2) : 1;
    const at = start + Math.floor(next() * 3 * 86_400_000);
    return Array.from({ length: copies }, (_, copy) => ({ request, at: at + copy * Math.floor(next() * 120_000), receives: 0 }));
  });
  return { people, suppressed, requests, deliveries, ledger, inbox, events, reRequests, ports, setClock: (at: number) => (clock = at) };
}

describe('dispatch never spams (randomised)', () => {
  it('10,000 requests with duplicates and SES failures: nothing to unsubscribed or suppressed addresses, nothing twice, nothing lost', async () => {
    const w = world(20261123);
    type Delivery = (typeof w.deliveries)[number];
    // Kept in time order; later deliveries (retries, re-requests) are inserted in place.
    const queue: Delivery[] = [...w.deliveries].sort((a, b) => b.at - a.at);
    const enqueue = (delivery: Delivery) => {
      let low = 0;
      let high = queue.length;
      while (low < high) {
        const middle = (low + high) >> 1;
        if ((queue[middle] as Delivery).at > delivery.at) low = middle + 1;
        else high = middle;
      }
      queue.splice(low, 0, delivery);
    };
    const deadLetters = new Set<string>();
    let processed = 0;
    while (queue.length > 0) {
      const delivery = queue.pop() as Delivery;
      w.setClock(delivery.at);
      const receives = delivery.receives + 1;
      processed++;
      try {
        const now = Math.max(delivery.at, delivery.request.deferredUntil ? Date.parse(delivery.request.deferredUntil) : 0);
        await dispatchMessage(delivery.request, w.ports, now);
      } catch {
        if (receives < maxReceives) enqueue({ ...delivery, at: delivery.at + visibilityTimeout, receives });
        else deadLetters.add(delivery.request.messageId);
      }
      // Scheduler puts deferred requests back on the bus when their wait is over.
      for (const { request, at } of w.reRequests.splice(0)) enqueue({ request, at, receives: 0 });
    }
    expect(processed).toBeGreaterThan(12_000);

    // Nothing twice.
    const perMessage = new Map<string, number>();
    for (const email of w.inbox) perMessage.set(email.messageId, (perMessage.get(email.messageId) ?? 0) + 1);
    expect([...perMessage.values()].filter((count) => count > 1)).toEqual([]);

    // Never to a suppressed address; no marketing to someone unsubscribed, in quiet hours, or past the caps.
    const byId = new Map(w.people.map((person) => [person.profileId, person]));
    expect(w.inbox.filter((email) => w.suppressed.has(email.to))).toEqual([]);
    const marketing = w.inbox.filter((email) => email.purpose === 'marketing');
    expect(marketing.filter((email) => byId.get(email.profileId)?.consent?.email?.state === 'unsubscribed')).toEqual([]);
    const localHour = (email: (typeof marketing)[number]) => DateTime.fromMillis(email.at, { zone: byId.get(email.profileId)?.timeZone ?? 'UTC' }).hour;
    expect(marketing.filter((email) => localHour(email) >= 21 || localHour(email) < 8)).toEqual([]);
    const timesByPerson = new Map<string, number[]>();
    for (const email of marketing) timesByPerson.set(email.profileId, [...(timesByPerson.get(email.profileId) ?? []), email.at]);
    for (const [profileId, unsorted] of timesByPerson) {
      const times = unsorted.sort((a, b) => a - b);
      for (let index = 2; index < times.length; index++)
        expect([profileId, (times[index] as number) - (times[index - 2] as number) >= 86_400_000]).toEqual([profileId, true]);
    }

    // Every request ended: sent, suppressed with a reason, failed (SES refused it, or its outcome is
    // unknown and it was not repeated) or in the dead letters; none is lost, none is left deferred.
    const ended = new Map<string, string>();
    for (const request of w.requests) {
      const entry = w.ledger.get(request.messageId);
      const outcome = deadLetters.has(request.messageId) && entry?.state !== 'sent' ? 'dead-letter' : (entry?.state ?? 'lost');
      ended.set(request.messageId, outcome);
    }
    const counts: Record<string, number> = {};
    for (const state of ended.values()) counts[state] = (counts[state] ?? 0) + 1;
    expect(counts.lost).toBeUndefined();
    expect(counts.deferred).toBeUndefined();
    expect(counts.sending).toBeUndefined();
    expect(Object.keys(counts).sort()).toEqual(['dead-letter', 'failed', 'sent', 'suppressed', 'uncertain']);
    // Every suppression carries its reason on the bus; every email SES took is accounted for as sent or uncertain.
    const suppressedEvents = w.events.filter((event) => event.type === 'message.suppressed');
    expect(new Set(suppressedEvents.map((event) => event.reason))).toEqual(new Set(['no-address', 'suppressed', 'unsubscribed', 'holdout', 'frequency-cap']));
    for (const email of w.inbox) expect(['sent', 'uncertain', 'dead-letter']).toContain(ended.get(email.messageId));
    // Every final decision reached the bus (the bus failed 2% of the time): none is left unannounced,
    // and a sent message is announced as sent.
    const unannounced = [...w.ledger.entries()].filter(
      ([messageId, entry]) => 'announcement' in entry && entry.announcement !== undefined && !deadLetters.has(messageId),
    );
    expect(unannounced).toEqual([]);
    const announcedSent = new Set(w.events.filter((event) => event.type === 'message.sent').map((event) => event.messageId));
    for (const [messageId, state] of ended) {
      if (state !== 'sent') continue;
      // One whose announcement failed on every receive waits in the dead letters with it still pending: a redrive announces it.
      const pending = w.ledger.get(messageId)?.announcement !== undefined;
      expect([messageId, announcedSent.has(messageId) || (deadLetters.has(messageId) && pending)]).toEqual([messageId, true]);
    }
  });
});
