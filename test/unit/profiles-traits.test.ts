import { applyEvent, type CustomerEvent, emptyProfile, parseIdentityKey } from '#services/profiles/core/apply-event.js';
import { derive, divideToCents, rfmOf, segmentChanges } from '#services/profiles/core/derive.js';
import { deviceOf } from '#services/profiles/core/device.js';
import { mergeProfiles } from '#services/profiles/core/merge.js';
import type { Profile } from '#shared/events/profile.js';
import { profileConfig } from '../support/fixtures.js';

let sequence = 0;
function event(detailType: string, occurredAt: string, properties: Record<string, unknown> = {}, extra: Partial<CustomerEvent['detail']> = {}): CustomerEvent {
  sequence++;
  return {
    detailType,
    detail: {
      eventId: `e${sequence}`,
      occurredAt,
      identity: { email: 'ada@example.com' },
      traits: {},
      origin: { platform: 'shopify', topic: 't' },
      properties,
      ...extra,
    },
  };
}
const order = (at: string, amount: string, currency = 'USD') =>
  event('order.completed', at, { orderId: `o${sequence}`, total: { amount, currency }, items: [] });
const applyAll = (events: readonly CustomerEvent[], start: Profile = emptyProfile('p1', events[0]?.detail.occurredAt ?? '')) =>
  events.reduce((profile, next) => applyEvent(profile, next, profileConfig).profile, start);
const permutations = <T>(items: readonly T[]): T[][] =>
  items.length <= 1
    ? [[...items]]
    : items.flatMap((item, index) => permutations([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [item, ...rest]));

describe('RFM scores and segments (thresholds from config/profiles.json)', () => {
  // Thresholds: recency days 30/90/180/365, orders 2/3/5/10, revenue 100/250/500/1000 USD.
  const customers: [string, Partial<Profile>, { recency: number; frequency: number; monetary: number; segment: string }][] = [
    [
      'a champion: ordered 10 days ago, 12 orders, $1,500',
      { lastOrderAt: '2026-11-12T00:00:00.000Z', orderCount: 12, revenue: { USD: '1500.00' } },
      { recency: 5, frequency: 5, monetary: 5, segment: 'champions' },
    ],
    [
      'loyal: 60 days, 6 orders, $300',
      { lastOrderAt: '2026-09-23T00:00:00.000Z', orderCount: 6, revenue: { USD: '300.00' } },
      { recency: 4, frequency: 4, monetary: 3, segment: 'loyal' },
    ],
    [
      'cannot lose: 400 days, 10 orders, $2,000',
      { lastOrderAt: '2025-10-18T00:00:00.000Z', orderCount: 10, revenue: { USD: '2000' } },
      { recency: 1, frequency: 5, monetary: 5, segment: 'cant-lose' },
    ],
    [
      'at risk: 200 days, 3 orders, $120',
      { lastOrderAt: '2026-05-06T00:00:00.000Z', orderCount: 3, revenue: { USD: '120' } },
      { recency: 2, frequency: 3, monetary: 2, segment: 'at-risk' },
    ],
    [
      'new: ordered yesterday for the first time, $40',
      { lastOrderAt: '2026-11-21T00:00:00.000Z', orderCount: 1, revenue: { USD: '40' } },
      { recency: 5, frequency: 1, monetary: 1, segment: 'new' },
    ],
    [
      'hibernating: 300 days, 2 orders (one cancelled), $90',
      { lastOrderAt: '2026-01-26T00:00:00.000Z', orderCount: 3, cancelledCount: 1, revenue: { USD: '90' } },
      { recency: 2, frequency: 2, monetary: 1, segment: 'hibernating' },
    ],
    [
      'lost: 2 years, 1 order, $25',
      { lastOrderAt: '2024-11-22T00:00:00.000Z', orderCount: 1, revenue: { USD: '25' } },
      { recency: 1, frequency: 1, monetary: 1, segment: 'lost' },
    ],
    [
      'euros do not count as dollars',
      { lastOrderAt: '2026-11-12T00:00:00.000Z', orderCount: 12, revenue: { EUR: '5000' } },
      { recency: 5, frequency: 5, monetary: 1, segment: 'loyal' },
    ],
  ];
  it.each(customers)('%s', (_, fields, expected) => {
    const profile = { ...emptyProfile('p', '2020-01-01T00:00:00.000Z'), ...fields };
    expect(rfmOf(profile, '2026-11-22T00:00:00.000Z', profileConfig.rfm)).toEqual({ ...expected, asOf: '2026-11-22T00:00:00.000Z' });
  });

  it('puts someone who never ordered in no RFM segment', () => {
    expect(rfmOf(emptyProfile('p', '2026-01-01T00:00:00.000Z'), '2026-11-22T00:00:00.000Z', profileConfig.rfm)).toBeUndefined();
  });

  it('reports the segments entered and left', () => {
    const before = derive(
      {
        ...emptyProfile('p', '2026-01-01T00:00:00.000Z'),
        lastSeenAt: '2026-11-22T00:00:00.000Z',
        lastOrderAt: '2026-11-21T00:00:00.000Z',
        orderCount: 1,
        revenue: { USD: '40' },
      },
      profileConfig,
    );
    const after = applyEvent(before, order('2026-11-22T00:00:00.000Z', '30.00'), profileConfig).profile;
    expect(segmentChanges(before, after)).toEqual({ entered: ['rfm:potential-loyalist', 'engagement:low'], left: ['rfm:new'] });
  });
});

describe('computed traits', () => {
  it('keeps revenue, average order value and loyalty exact through orders, a refund and a cancellation', () => {
    const profile = applyAll([
      order('2026-11-01T10:00:00.000Z', '100.00'),
      order('2026-11-02T10:00:00.000Z', '50.00'),
      order('2026-11-03T10:00:00.000Z', '0.01'),
      event('order.refunded', '2026-11-04T10:00:00.000Z', { orderId: 'x', amount: { amount: '20.00', currency: 'USD' } }),
      event('order.cancelled', '2026-11-05T10:00:00.000Z', { orderId: 'y', total: { amount: '0.01', currency: 'USD' } }),
      event('review.submitted', '2026-11-06T10:00:00.000Z', { productId: 'p1', rating: 5 }),
    ]);
    expect(profile).toMatchObject({ orderCount: 3, cancelledCount: 1, revenue: { USD: '130.00' }, averageOrderValue: { USD: '65.00' }, reviewCount: 1 });
    // 100 + 50 + 0 − 20 − 0 points for money, 50 for the review.
    expect(profile.loyalty).toEqual({ points: 180, tier: 'bronze' });
    expect(divideToCents('100.00', 3)).toBe('33.33');
    expect(divideToCents('0.05', 2)).toBe('0.03');
  });

  it('keeps the open cart until an order after it, whichever arrives first', () => {
    const checkout = event('checkout.started', '2026-11-01T10:00:00.000Z', {
      checkoutId: 'c1',
      cartId: 'k1',
      items: [{}, {}],
      recoveryUrl: 'https://shop/r/c1',
    });
    const laterOrder = order('2026-11-01T10:30:00.000Z', '10.00');
    expect(applyAll([checkout]).openCart).toMatchObject({ checkoutId: 'c1', itemCount: 2, recoveryUrl: 'https://shop/r/c1' });
    expect(applyAll([checkout, laterOrder]).openCart).toBeUndefined();
    expect(applyAll([laterOrder, checkout]).openCart).toBeUndefined();
  });

  it('infers the time zone from a location, but never over the platform’s', () => {
    const berlin = event('location.reported', '2026-11-01T10:00:00.000Z', { latitude: 52.52, longitude: 13.405 });
    expect(applyAll([berlin])).toMatchObject({ timeZone: 'Europe/Berlin', timeZoneSource: 'location', lastLocation: { latitude: 52.52 } });
    const told = event('customer.upserted', '2026-10-01T10:00:00.000Z', {}, { traits: { timeZone: 'America/New_York' } });
    expect(applyAll([told, berlin]).timeZone).toBe('America/New_York');
    expect(applyAll([berlin, told]).timeZone).toBe('America/New_York');
  });

  it('takes the preferred device from user agents, engagement from active days, and the last product viewed', () => {
    const iphone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148';
    const mac = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Safari/605.1.15';
    const views = ['01', '03', '05', '07', '09', '11', '13', '15', '16'].map((day, index) =>
      event('product.viewed', `2026-11-${day}T10:00:00.000Z`, { productId: `p${index}` }, { context: { userAgent: index < 6 ? iphone : mac } }),
    );
    const profile = applyAll(views);
    expect(profile).toMatchObject({
      preferredDevice: 'mobile',
      devices: { mobile: 6, desktop: 3 },
      engagement: 'high',
      lastProductViewed: { productId: 'p8' },
    });
    expect(deviceOf('Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X)')).toBe('tablet');
    expect(deviceOf('Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile Safari/537.36')).toBe('mobile');
    expect(deviceOf(undefined)).toBeUndefined();
  });
});

describe('consent', () => {
  const consent = (state: string, at: string) => event('consent.changed', at, { channel: 'email', state });

  it('lets the most recent decision win, so a late, older subscribe never undoes an unsubscribe', () => {
    const unsubscribe = consent('unsubscribed', '2026-11-10T10:00:00.000Z');
    const olderSubscribe = consent('subscribed', '2026-11-01T10:00:00.000Z');
    const olderOrderWithOptIn = event('order.completed', '2026-11-05T10:00:00.000Z', { orderId: 'o', acceptsMarketing: true, items: [] });
    for (const arrival of permutations([unsubscribe, olderSubscribe, olderOrderWithOptIn])) {
      expect(applyAll(arrival).consent?.email).toEqual({ state: 'unsubscribed', at: '2026-11-10T10:00:00.000Z', source: 'shopify:t' });
    }
  });

  it('prefers the unsubscribe of two decisions at the same instant', () => {
    const at = '2026-11-10T10:00:00.000Z';
    expect(applyAll([consent('unsubscribed', at), consent('subscribed', at)]).consent?.email?.state).toBe('unsubscribed');
    expect(applyAll([consent('subscribed', at), consent('unsubscribed', at)]).consent?.email?.state).toBe('unsubscribed');
  });
});

describe('order independence', () => {
  it('ends in the same profile whatever order six different events arrive in', () => {
    const events = [
      order('2026-11-01T10:00:00.000Z', '10.00'),
      event('customer.upserted', '2026-11-02T10:00:00.000Z', {}, { traits: { firstName: 'Ada', birthday: '1990-02-28' } }),
      event('customer.upserted', '2026-10-02T10:00:00.000Z', {}, { traits: { firstName: 'Adelaide' } }),
      event('product.viewed', '2026-11-03T10:00:00.000Z', { productId: 'p1' }),
      event('consent.changed', '2026-11-04T10:00:00.000Z', { channel: 'sms', state: 'subscribed' }),
      order('2026-10-15T10:00:00.000Z', '5.00'),
    ];
    const results = permutations(events).map((arrival) => applyAll(arrival, emptyProfile('p1', '2026-12-01T00:00:00.000Z')));
    for (const result of results) expect(result).toEqual(results[0]);
    expect(results[0]).toMatchObject({
      firstName: 'Ada',
      birthday: '1990-02-28',
      orderCount: 2,
      revenue: { USD: '15.00' },
      firstSeenAt: '2026-10-02T10:00:00.000Z',
    });
  });
});

describe('merging two profiles of one person', () => {
  const browsing = applyAll(
    [event('product.viewed', '2026-11-01T09:00:00.000Z', { productId: 'red-dress' }, { identity: { anonymousId: 'a1' } })],
    emptyProfile('anon', '2026-11-01T09:00:00.000Z'),
  );
  const known = applyAll(
    [order('2026-10-01T10:00:00.000Z', '80.00'), event('consent.changed', '2026-10-02T10:00:00.000Z', { channel: 'email', state: 'unsubscribed' })],
    emptyProfile('known', '2026-10-01T10:00:00.000Z'),
  );

  it('adds counters, keeps the newer traits and facts, and keeps an unsubscribe', () => {
    const merged = mergeProfiles(known, browsing, profileConfig);
    expect(merged).toMatchObject({
      profileId: 'known',
      email: 'ada@example.com',
      orderCount: 1,
      revenue: { USD: '80.00' },
      lastProductViewed: { productId: 'red-dress' },
      firstSeenAt: '2026-10-01T10:00:00.000Z',
      lastSeenAt: '2026-11-01T09:00:00.000Z',
      consent: { email: { state: 'unsubscribed' } },
    });
  });

  it('gives the same person whichever profile survives', () => {
    const { profileId: _a, ...one } = mergeProfiles(known, browsing, profileConfig);
    const { profileId: _b, ...other } = mergeProfiles(browsing, known, profileConfig);
    expect(other).toEqual(one);
  });
});

describe('identity keys typed by people', () => {
  it('reads kind:value and bare email addresses', () => {
    expect(parseIdentityKey('customer:shopify:42')).toEqual({ kind: 'customer', value: 'shopify:42' });
    expect(parseIdentityKey('Ada@Example.com')).toEqual({ kind: 'email', value: 'ada@example.com' });
    expect(parseIdentityKey('nonsense')).toBeUndefined();
  });
});
