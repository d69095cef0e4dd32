import { checked } from '#services/intake/core/platforms/common.js';
import { maxPutEventsBytes, putEventsEntrySize } from '#shared/bus-limits.js';
import { busDetail, checkDetail } from '#shared/events/bus-detail.js';
import { InvalidEventError, NewerContractError, parseBusEvent } from '#shared/events/bus-event.js';
import { Money } from '#shared/events/common.js';
import * as Events from '#shared/events/index.js';
import { Profile } from '#shared/events/profile.js';
import { decimalFromNumber, fromMinorUnits } from '#shared/money.js';
import { isPermanent } from '#shared/result.js';

const envelope = (detail: unknown) => ({
  version: '0',
  id: 'e-1',
  'detail-type': 'timer.fired',
  source: 'nudge.scheduler',
  account: '000000000000',
  time: '2026-11-28T00:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail,
});
const timer = { kind: 'recurring' as const, ruleId: 'monday-digest', dueAt: '2026-11-30T08:00:00Z' };

describe('event contracts and their versions', () => {
  it('gives every contract a version and stamps it on every detail a producer writes', () => {
    for (const contract of Events.catalogue) expect(contract.version).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(busDetail(Events.TimerFired, timer))).toEqual({ ...timer, contractVersion: 1 });
  });

  it('refuses, before anything is written, a detail that breaks its contract', () => {
    expect(() => busDetail(Events.TimerFired, { kind: 'recurring' } as never)).toThrow();
  });

  it('checks a detail once: what checkDetail passed is published as checked, and only its own output counts as checked', () => {
    const checked = checkDetail(Events.TimerFired, { ...timer, extra: 'dropped by the contract' });
    expect(checked.success).toBe(true);
    expect(JSON.parse(busDetail(Events.TimerFired, checked.data as never))).toEqual({ ...timer, contractVersion: 1 });
    // A look-alike that was never checked is checked (and stripped) on its way out.
    expect(JSON.parse(busDetail(Events.TimerFired, { ...timer, extra: 'x' } as never))).toEqual({ ...timer, contractVersion: 1 });
    expect(checkDetail(Events.TimerFired, { kind: 'recurring' }).success).toBe(false);
  });

  it('reads a detail of its own version and one written before versions (version 1); the stamp is not part of the detail', () => {
    expect(parseBusEvent(envelope({ ...timer, contractVersion: 1 }), Events.TimerFired).detail).toEqual(timer);
    expect(parseBusEvent(envelope(timer), Events.TimerFired).detail).toEqual(timer);
  });

  it('refuses a version newer than it reads, as a permanent failure that says what to do', () => {
    let refusal: unknown;
    try {
      parseBusEvent(envelope({ ...timer, contractVersion: 2 }), Events.TimerFired);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(InvalidEventError);
    expect(isPermanent(refusal)).toBe(true);
    expect((refusal as Error).message).toMatch(/timer\.fired is contract version 2, newer than this consumer reads \(1\): deploy the consumer, then redrive/);
    expect((refusal as Error).name).toBe('NewerContractError');
  });

  it('refuses a stamp that is no version (a broken producer), as a permanent failure, rather than guess', () => {
    for (const contractVersion of ['2', 0, -3, 1.5, null, '1e9']) {
      expect(() => parseBusEvent(envelope({ ...timer, contractVersion }), Events.TimerFired)).toThrow(/contractVersion that is not a whole number/);
    }
  });

  it('tells a newer version apart from a broken event: it is early, not failed', () => {
    expect(() => parseBusEvent(envelope({ ...timer, contractVersion: 2 }), Events.TimerFired)).toThrow(NewerContractError);
    expect(() => parseBusEvent(envelope({ kind: 'recurring' }), Events.TimerFired)).not.toThrow(NewerContractError);
  });

  it('measures an event against the bus limit as it will be sent, stamp included', () => {
    const detail = (padding: number) => ({
      eventId: 'ev-big',
      occurredAt: '2026-11-28T00:00:00.000Z',
      receivedAt: '2026-11-28T00:00:00.000Z',
      origin: { platform: 'segment', shop: 's', topic: 'track' },
      identity: { email: 'big@example.com' },
      traits: {},
      properties: { name: 'Big', values: { note: 'x'.repeat(padding) } },
    });
    const sizeOf = (value: unknown) => putEventsEntrySize({ Source: Events.CustomEvent.source, DetailType: 'custom.Big', Detail: JSON.stringify(value) });
    const padding = 200_000 + (maxPutEventsBytes - 5 - sizeOf(detail(200_000)));
    // Unstamped it would fit by 5 bytes; stamped it does not, and the sender hears so (400), not a 503 forever.
    expect(sizeOf(detail(padding))).toBe(maxPutEventsBytes - 5);
    expect(checked(Events.CustomEvent, detail(padding), 'custom.Big')).toMatchObject({
      kind: 'invalid',
      issues: [{ message: expect.stringContaining('at most 262144') }],
    });
    expect(checked(Events.CustomEvent, detail(padding - 100), 'custom.Big')).toMatchObject({ kind: 'events' });
  });
});

describe('money in the contracts', () => {
  it('carries any decimal (a lifetime of orders in dong runs past a trillion); what platforms send is bounded where it is read', () => {
    expect(Money.safeParse({ amount: '1000000000000', currency: 'VND' }).success).toBe(true);
    expect(Profile.shape.revenue.safeParse({ VND: '123456789012345678.00' }).success).toBe(true);
    expect(Profile.shape.revenue.safeParse({ VND: '1e21' }).success).toBe(false);
    expect(decimalFromNumber('999999999999.99')).toBe('999999999999.99');
    expect(decimalFromNumber('1000000000000')).toBeUndefined();
    expect(fromMinorUnits(99_999_999_999_999, 'USD')).toBe('999999999999.99');
    expect(fromMinorUnits(100_000_000_000_000, 'USD')).toBeUndefined();
  });
});
