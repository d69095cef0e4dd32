import { applyEvent, type CustomerEvent, emptyProfile, primaryIdentityKey } from '#services/profiles/core/apply-event.js';
import { addDecimal } from '#shared/money.js';
import { profileConfig } from '../support/fixtures.js';

function order(eventId: string, occurredAt: string, amount: string, traits: CustomerEvent['detail']['traits'] = {}): CustomerEvent {
  return {
    detailType: 'order.completed',
    detail: {
      eventId,
      occurredAt,
      identity: { email: 'Jon@Example.com' },
      traits,
      properties: { orderId: eventId, total: { amount, currency: 'USD' }, items: [] },
    },
  };
}

const applyAll = (events: readonly CustomerEvent[]) =>
  events.reduce((profile, event) => applyEvent(profile, event, profileConfig).profile, emptyProfile('p1', events[0]?.detail.occurredAt ?? ''));

describe('profile from orders', () => {
  it('counts the order, adds the revenue exactly and records the customer', () => {
    const { profile, changed } = applyEvent(
      emptyProfile('p1', '2026-01-01T00:00:00.000Z'),
      order('o1', '2026-01-01T00:00:00.000Z', '0.10', { firstName: 'Jon' }),
      profileConfig,
    );
    expect(profile).toMatchObject({ email: 'jon@example.com', firstName: 'Jon', orderCount: 1, revenue: { USD: '0.10' } });
    expect(profile.lastOrderAt).toBe('2026-01-01T00:00:00.000Z');
    expect(changed).toEqual(expect.arrayContaining(['email', 'firstName', 'orderCount', 'revenue', 'firstOrderAt', 'lastOrderAt']));
  });

  it('adds money without float drift (0.1 + 0.2 = 0.30)', () => {
    expect(applyAll([order('a', '2026-01-01T00:00:00.000Z', '0.1'), order('b', '2026-01-02T00:00:00.000Z', '0.20')]).revenue).toEqual({ USD: '0.30' });
  });

  it('ends in the same profile whatever order the events arrive in', () => {
    const events = [
      order('a', '2026-01-01T00:00:00.000Z', '10.00', { firstName: 'Jonathan' }),
      order('b', '2026-03-01T00:00:00.000Z', '5.50', { firstName: 'Jon' }),
      order('c', '2026-02-01T00:00:00.000Z', '1.25', { lastName: 'Smith' }),
    ];
    const inOrder = applyAll(events);
    const reversed = applyAll([...events].reverse());
    expect(reversed).toEqual(inOrder);
    expect(inOrder).toMatchObject({ firstName: 'Jon', lastName: 'Smith', orderCount: 3, revenue: { USD: '16.75' } });
    expect(inOrder.firstOrderAt).toBe('2026-01-01T00:00:00.000Z');
    expect(inOrder.lastOrderAt).toBe('2026-03-01T00:00:00.000Z');
  });

  it('does not let a late, older event overwrite a newer name', () => {
    const newer = applyAll([order('b', '2026-03-01T00:00:00.000Z', '1.00', { firstName: 'Jon' })]);
    const { profile, changed } = applyEvent(newer, order('a', '2026-01-01T00:00:00.000Z', '1.00', { firstName: 'Jonathan' }), profileConfig);
    expect(profile.firstName).toBe('Jon');
    expect(changed).not.toContain('firstName');
    expect(profile.lastOrderAt).toBe('2026-03-01T00:00:00.000Z');
  });

  it('finds people by normalised email first, then by platform customer id', () => {
    expect(primaryIdentityKey({ email: ' Jon@Example.COM ', customerId: 'shopify:1' })).toEqual({ kind: 'email', value: 'jon@example.com' });
    expect(primaryIdentityKey({ customerId: 'shopify:1' })).toEqual({ kind: 'customer', value: 'shopify:1' });
  });
});

describe('decimal money', () => {
  it.each([
    ['404.95', '0.05', '405.00'],
    ['0', '19.99', '19.99'],
    ['10', '-2.5', '7.5'],
    ['-1.01', '1.01', '0.00'],
    ['99999999999999999.99', '0.01', '100000000000000000.00'],
  ])('%s + %s = %s', (a, b, sum) => {
    expect(addDecimal(a, b)).toBe(sum);
  });
});

describe('what a shop says of its customers', () => {
  const config = { ...profileConfig, shops: { 'negozio.myshopify.com': { timeZone: 'Europe/Rome', country: 'IT' } } };
  const fromShop = (eventId: string, occurredAt: string, shop: string, traits: CustomerEvent['detail']['traits'] = {}): CustomerEvent => ({
    ...order(eventId, occurredAt, '10.00', traits),
    detail: { ...order(eventId, occurredAt, '10.00', traits).detail, origin: { platform: 'shopify', topic: 'orders/create', shop } },
  });

  it('gives a customer of an Italian shop its time zone and country when nothing better is known, and lets the platform’s win', () => {
    const start = emptyProfile('p1', '2026-01-01T00:00:00.000Z');
    const fromItaly = applyEvent(start, fromShop('a', '2026-01-01T00:00:00.000Z', 'negozio.myshopify.com'), config).profile;
    expect(fromItaly).toMatchObject({ timeZone: 'Europe/Rome', timeZoneSource: 'shop', country: 'IT' });
    const told = applyEvent(fromItaly, fromShop('b', '2026-01-02T00:00:00.000Z', 'negozio.myshopify.com', { timeZone: 'Europe/Berlin' }), config).profile;
    expect(told).toMatchObject({ timeZone: 'Europe/Berlin', timeZoneSource: 'platform' });
    // The shop never takes back what a platform said, and an unknown shop says nothing.
    expect(applyEvent(told, fromShop('c', '2026-01-03T00:00:00.000Z', 'negozio.myshopify.com'), config).profile).toMatchObject({ timeZone: 'Europe/Berlin' });
    expect(applyEvent(start, fromShop('d', '2026-01-01T00:00:00.000Z', 'constructor'), config).profile.timeZone).toBeUndefined();
  });
});
