import {
  addActiveDay,
  applyEvent,
  type CustomerEvent,
  changedFields,
  decideConsent,
  emptyProfile,
  identityKeys,
  identityKeyText,
  isReference,
  newer,
  parseIdentityKey,
  timeZoneRank,
} from '#services/profiles/core/apply-event.js';
import type { ProfileConfig } from '#services/profiles/core/config.js';
import type { Identity } from '#shared/events/common.js';
import type { Profile } from '#shared/events/profile.js';
import { profileConfig } from '../support/fixtures.js';

/** What one event does to a profile: each case is a fact a rule, a segment or the send gate reads. */
const at = (hour: number) => new Date(Date.UTC(2026, 10, 20, hour)).toISOString();
let counter = 0;
function event(detailType: string, occurredAt: string, properties: Record<string, unknown> = {}, detail: Partial<CustomerEvent['detail']> = {}): CustomerEvent {
  counter++;
  return {
    detailType,
    detail: {
      eventId: `e${counter}`,
      occurredAt,
      identity: { email: 'ada@example.com' },
      traits: {},
      origin: { platform: 'shopify', topic: 'orders/create' },
      properties,
      ...detail,
    },
  };
}
const start = (fields: Partial<Profile> = {}): Profile => ({ ...emptyProfile('p1', at(0)), ...fields });
const apply = (before: Profile, next: CustomerEvent, config: ProfileConfig = profileConfig) => applyEvent(before, next, config).profile;
const applyAll = (events: readonly CustomerEvent[], before = start()) => events.reduce((profile, next) => apply(profile, next), before);
const order = (occurredAt: string, total?: { amount: string; currency: string }, items: unknown[] = []) =>
  event('order.completed', occurredAt, { orderId: `o${counter}`, ...(total ? { total } : {}), items });
const usd = (amount: string) => ({ amount, currency: 'USD' });

describe('finding the person', () => {
  it('lists every key of an event, most trustworthy first, the email as typed in lower case', () => {
    const identity: Identity = {
      email: ' Ada@Example.COM ',
      customerId: 'shopify:42',
      phone: '+441234567890',
      userId: 'u-1',
      anonymousId: 'anon-1',
      cartRef: 'cart-1',
      orderRef: 'order-1',
    };
    expect(identityKeys(identity)).toEqual([
      { kind: 'email', value: 'ada@example.com' },
      { kind: 'customer', value: 'shopify:42' },
      { kind: 'phone', value: '+441234567890' },
      { kind: 'user', value: 'u-1' },
      { kind: 'anonymous', value: 'anon-1' },
      { kind: 'cart', value: 'cart-1' },
      { kind: 'order', value: 'order-1' },
    ]);
    expect(identityKeys({ anonymousId: 'anon-1' })).toEqual([{ kind: 'anonymous', value: 'anon-1' }]);
    expect(identityKeys({})).toEqual([]);
  });

  it('takes cart and order references as pointers to a person, never as a person', () => {
    expect(identityKeys({ cartRef: 'c', orderRef: 'o', userId: 'u' }).map(isReference)).toEqual([false, true, true]);
    expect(['email', 'phone', 'customer', 'anonymous'].map((kind) => isReference({ kind, value: 'x' } as never))).toEqual([false, false, false, false]);
  });

  it('writes a key as kind#value', () => {
    expect(identityKeyText({ kind: 'customer', value: 'shopify:42' })).toBe('customer#shopify:42');
  });

  it('reads every kind of key people type, and an email in any case and spacing', () => {
    for (const kind of ['phone', 'customer', 'user', 'anonymous', 'cart', 'order'])
      expect(parseIdentityKey(`${kind}:Value-1`)).toEqual({ kind, value: 'Value-1' });
    expect(parseIdentityKey('email: Ada@Example.com ')).toEqual({ kind: 'email', value: 'ada@example.com' });
    expect(parseIdentityKey('  Ada@Example.com ')).toEqual({ kind: 'email', value: 'ada@example.com' });
    expect(parseIdentityKey('user:a@b')).toEqual({ kind: 'user', value: 'a@b' });
  });

  it('reads nothing from a key of blanks, a missing value or kind, an unknown kind or a lone @', () => {
    for (const text of ['phone:', 'phone:   ', ':value', 'shoe:size', '@', ' @ ', '', 'nobody'])
      expect({ text, key: parseIdentityKey(text) }).toEqual({ text, key: undefined });
    expect(parseIdentityKey('shoe:ada@example.com')).toEqual({ kind: 'email', value: 'shoe:ada@example.com' });
  });
});

describe('dated facts and decisions', () => {
  it('keeps the newer of two dated values, and the one held on a tie (a replay changes nothing)', () => {
    const held = { productId: 'held', at: at(5) };
    expect(newer(held, { productId: 'later', at: at(6) })).toEqual({ productId: 'later', at: at(6) });
    expect(newer(held, { productId: 'earlier', at: at(4) })).toBe(held);
    expect(newer(held, { productId: 'same-instant', at: at(5) })).toBe(held);
    expect(newer(undefined, held)).toBe(held);
    expect(newer(held, undefined)).toBe(held);
  });

  it('keeps the consent decision held when another of the same instant and state comes', () => {
    const held = { state: 'subscribed' as const, at: at(5), source: 'shopify:customers/update' };
    expect(decideConsent(held, { ...held, source: 'segment:identify' })).toBe(held);
    expect(decideConsent(held, { state: 'not-subscribed', at: at(5), source: 'x' })).toBe(held);
    expect(decideConsent({ ...held, state: 'not-subscribed' }, { ...held, source: 'y' })).toEqual({ ...held, source: 'y' });
  });

  it('ranks the sources of a time zone: platform, then location, then shop', () => {
    expect([timeZoneRank('platform'), timeZoneRank('location'), timeZoneRank('shop'), timeZoneRank(undefined)]).toEqual([2, 1, 0, 0]);
  });

  it('keeps the latest 30 distinct active days, in order', () => {
    expect(addActiveDay(['2026-11-03', '2026-11-01'], '2026-11-02')).toEqual(['2026-11-01', '2026-11-02', '2026-11-03']);
    expect(addActiveDay(undefined, '2026-11-02')).toEqual(['2026-11-02']);
    const month = Array.from({ length: 30 }, (_, index) => new Date(Date.UTC(2026, 9, index + 1)).toISOString().slice(0, 10));
    expect(addActiveDay(month, '2026-11-01')).toEqual([...month.slice(1), '2026-11-01']);
  });

  it('names the fields whose value changed, sorted, and never the trait times', () => {
    const before = start({ firstName: 'Ada', city: 'London', traitsAt: { firstName: at(1) } });
    const after = { ...before, firstName: 'Augusta', country: 'GB', city: undefined, traitsAt: { firstName: at(2) } };
    expect(changedFields(before, after)).toEqual(['city', 'country', 'firstName']);
    expect(changedFields(undefined, start())).toEqual(['firstSeenAt', 'lastSeenAt', 'orderCount', 'profileId', 'revenue']);
  });
});

describe('applying an event', () => {
  it('sets each trait with the time it was true, and keeps a newer one over a late older event', () => {
    const traits = { firstName: 'Ada', lastName: 'Lovelace', locale: 'en-GB', country: 'GB', city: 'London', birthday: '1990-12-10' };
    const profile = apply(start(), event('customer.updated', at(5), {}, { identity: { email: 'Ada@Example.com', phone: '+441234567890' }, traits }));
    expect(profile).toMatchObject({ email: 'ada@example.com', phone: '+441234567890', ...traits });
    expect(profile.traitsAt).toEqual({
      email: at(5),
      phone: at(5),
      firstName: at(5),
      lastName: at(5),
      locale: at(5),
      country: at(5),
      city: at(5),
      birthday: at(5),
    });
    const late = apply(profile, event('customer.updated', at(4), {}, { identity: { phone: '+449999999999' }, traits: { city: 'Paris', locale: 'fr-FR' } }));
    expect(late).toMatchObject({ phone: '+441234567890', city: 'London', locale: 'en-GB' });
    const sameInstant = apply(profile, event('customer.updated', at(5), {}, { traits: { city: 'Leeds' } }));
    expect(sameInstant.city).toBe('Leeds');
  });

  it('remembers the shop the person last dealt with, but not Nudge’s own events', () => {
    const shop = apply(start(), event('cart.updated', at(1), {}, { origin: { platform: 'shopify', topic: 'carts/update', shop: 'rome.myshopify.com' } }));
    expect(shop.shop).toBe('rome.myshopify.com');
    const own = apply(shop, event('checkout.reminder', at(2), {}, { origin: { platform: 'nudge', topic: 'x', shop: 'other' } }));
    expect(own.shop).toBe('rome.myshopify.com');
    expect(apply(start(), event('cart.updated', at(1), {}, { origin: undefined })).shop).toBeUndefined();
  });

  it('fills the time zone and country from the shop only where nothing is known', () => {
    const config = { ...profileConfig, shops: { 'rome.myshopify.com': { timeZone: 'Europe/Rome', country: 'IT' } } } as ProfileConfig;
    const rome = { origin: { platform: 'shopify', topic: 'orders/create', shop: 'rome.myshopify.com' } };
    expect(apply(start(), event('cart.updated', at(1), {}, rome), config)).toMatchObject({ timeZone: 'Europe/Rome', timeZoneSource: 'shop', country: 'IT' });
    const known = start({ timeZone: 'Asia/Tokyo', timeZoneSource: 'location', country: 'JP', traitsAt: { timeZone: at(0), country: at(0) } });
    expect(apply(known, event('cart.updated', at(1), {}, rome), config)).toMatchObject({ timeZone: 'Asia/Tokyo', timeZoneSource: 'location', country: 'JP' });
    expect(
      apply(start(), event('cart.updated', at(1), {}, { origin: { platform: 'shopify', topic: 'x', shop: 'elsewhere' } }), config).timeZone,
    ).toBeUndefined();
  });

  it('keeps the platform’s time zone: a newer one replaces it, an older one or a shop’s does not', () => {
    const tokyo = apply(start(), event('customer.updated', at(5), {}, { traits: { timeZone: 'Asia/Tokyo' } }));
    expect(tokyo).toMatchObject({ timeZone: 'Asia/Tokyo', timeZoneSource: 'platform', traitsAt: { timeZone: at(5) } });
    expect(apply(tokyo, event('customer.updated', at(4), {}, { traits: { timeZone: 'Europe/Rome' } })).timeZone).toBe('Asia/Tokyo');
    expect(apply(tokyo, event('customer.updated', at(6), {}, { traits: { timeZone: 'Europe/Rome' } })).timeZone).toBe('Europe/Rome');
  });

  it('subscribes the person who ticks “email me” at checkout, from that moment, and decides nothing when unticked', () => {
    const ticked = apply(start(), event('checkout.started', at(3), { acceptsMarketing: true, checkoutId: 'k1' }));
    expect(ticked.consent).toEqual({ email: { state: 'subscribed', at: at(3), source: 'shopify:orders/create' } });
    expect(apply(start(), event('checkout.started', at(3), { acceptsMarketing: false, checkoutId: 'k1' })).consent).toBeUndefined();
    const unsubscribed = apply(start(), event('consent.changed', at(4), { channel: 'email', state: 'unsubscribed' }));
    // An order placed before the unsubscribe, arriving after it, never re-subscribes; one placed after it does.
    expect(apply(unsubscribed, event('order.completed', at(2), { acceptsMarketing: true })).consent?.email?.state).toBe('unsubscribed');
    expect(apply(unsubscribed, event('order.completed', at(5), { acceptsMarketing: true })).consent?.email?.state).toBe('subscribed');
  });

  it('names the event type as the source of a decision from an event with no platform', () => {
    const profile = apply(start(), event('consent.changed', at(4), { channel: 'sms', state: 'subscribed' }, { origin: undefined }));
    expect(profile.consent?.sms).toEqual({ state: 'subscribed', at: at(4), source: 'consent.changed' });
  });

  it('ignores a consent change that names no channel or no state', () => {
    expect(apply(start(), event('consent.changed', at(4), { state: 'unsubscribed' })).consent).toBeUndefined();
    expect(apply(start(), event('consent.changed', at(4), { channel: 'email' })).consent).toBeUndefined();
  });
});

describe('orders, money and loyalty', () => {
  it('counts an order without a total yet, and its revenue comes later', () => {
    expect(apply(start(), order(at(1)))).toMatchObject({ orderCount: 1, revenue: {}, firstOrderAt: at(1), lastOrderAt: at(1) });
  });

  it('knows what the person bought, the latest order’s first, once each, at most 100', () => {
    const first = apply(start(), order(at(1), usd('5.00'), [{ productId: 'p1' }, { productId: 'p2' }, { productId: 'p1' }, { sku: 'no-product' }]));
    expect(first.boughtProducts).toEqual(['p1', 'p2']);
    const second = apply(first, order(at(2), usd('5.00'), [{ productId: 'p3' }, { productId: 'p2' }]));
    expect(second.boughtProducts).toEqual(['p3', 'p2', 'p1']);
    expect(apply(second, order(at(3), usd('5.00'), [])).boughtProducts).toEqual(['p3', 'p2', 'p1']);
    expect(apply(second, event('order.completed', at(3), { orderId: 'x' })).boughtProducts).toEqual(['p3', 'p2', 'p1']);
    expect(Object.keys(apply(start(), order(at(1), usd('5.00'), [])))).not.toContain('boughtProducts');
    const many = Array.from({ length: 120 }, (_, index) => ({ productId: `p${index}` }));
    expect(apply(start(), order(at(1), usd('5.00'), many)).boughtProducts).toHaveLength(100);
  });

  it('earns points per unit of the loyalty currency only, and takes them back on cancellation and refund', () => {
    const double = { ...profileConfig, loyalty: { ...profileConfig.loyalty, pointsPerUnit: 2 } };
    const bought = apply(start(), order(at(1), usd('10.60')), double);
    expect(bought.loyalty?.points).toBe(21);
    expect(apply(start(), order(at(1), { amount: '100.00', currency: 'EUR' }), double).loyalty?.points).toBe(0);
    const cancelled = apply(bought, event('order.cancelled', at(2), { total: usd('10.60') }), double);
    expect(cancelled).toMatchObject({ cancelledCount: 1, revenue: { USD: '0.00' }, loyalty: { points: 0 } });
    const refunded = apply(bought, event('order.refunded', at(2), { amount: usd('5.00') }), double);
    expect(refunded).toMatchObject({ revenue: { USD: '5.60' }, loyalty: { points: 11 } });
  });

  it('takes a negative total back as a negative amount (a credit), exactly', () => {
    expect(apply(start({ revenue: { USD: '10.00' } }), event('order.cancelled', at(2), { total: usd('-2.50') })).revenue).toEqual({ USD: '12.50' });
  });

  it('counts reviews and referrals, with their points', () => {
    const reviewed = apply(start(), event('review.submitted', at(1)));
    expect(reviewed).toMatchObject({ reviewCount: 1, loyalty: { points: profileConfig.loyalty.pointsPerReview } });
    const referred = apply(apply(reviewed, event('referral.completed', at(2))), event('referral.completed', at(3)));
    expect(referred).toMatchObject({
      referralCount: 2,
      loyalty: { points: profileConfig.loyalty.pointsPerReview + 2 * profileConfig.loyalty.pointsPerReferral },
    });
  });
});

describe('carts and checkouts', () => {
  const cart = (occurredAt: string, properties: Record<string, unknown>) => event('cart.updated', occurredAt, properties);
  const checkout = (occurredAt: string, properties: Record<string, unknown>) => event('checkout.started', occurredAt, properties);

  it('opens a cart with its items, total and link', () => {
    expect(apply(start(), cart(at(1), { cartId: 'c1', items: [{}, {}], total: usd('20.00'), recoveryUrl: 'https://shop/c1' })).openCart).toEqual({
      cartId: 'c1',
      checkoutId: undefined,
      itemCount: 2,
      total: usd('20.00'),
      recoveryUrl: 'https://shop/c1',
      updatedAt: at(1),
    });
    expect(apply(start(), cart(at(1), { cartId: 'c1' })).openCart?.itemCount).toBe(0);
  });

  it('a checkout of the same cart keeps what the cart knew; another cart replaces it', () => {
    const carted = apply(start(), cart(at(1), { cartId: 'c1', items: [{}], recoveryUrl: 'https://shop/c1' }));
    const checkedOut = apply(carted, checkout(at(2), { cartId: 'c1', checkoutId: 'k1', items: [{}, {}] }));
    expect(checkedOut.openCart).toMatchObject({ cartId: 'c1', checkoutId: 'k1', itemCount: 2, recoveryUrl: 'https://shop/c1', updatedAt: at(2) });
    const updated = apply(checkedOut, checkout(at(3), { checkoutId: 'k1', recoveryUrl: 'https://shop/k1' }));
    expect(updated.openCart).toMatchObject({ cartId: 'c1', checkoutId: 'k1', recoveryUrl: 'https://shop/k1' });
    const other = apply(checkedOut, cart(at(3), { cartId: 'c2' }));
    expect(other.openCart).toMatchObject({ cartId: 'c2', checkoutId: undefined, recoveryUrl: undefined });
    const noIds = apply(carted, cart(at(3), { items: [] }));
    expect(noIds.openCart).toEqual({ cartId: undefined, checkoutId: undefined, itemCount: 0, total: undefined, recoveryUrl: undefined, updatedAt: at(3) });
  });

  it('a late, older cart event does not replace a newer cart; one of the same instant does', () => {
    const carted = apply(start(), cart(at(5), { cartId: 'c1' }));
    expect(apply(carted, cart(at(4), { cartId: 'c0' })).openCart?.cartId).toBe('c1');
    expect(apply(carted, cart(at(5), { cartId: 'c2' })).openCart?.cartId).toBe('c2');
  });

  it('a converted cart closes only itself', () => {
    const carted = apply(start(), cart(at(1), { cartId: 'c1' }));
    expect(apply(carted, cart(at(2), { cartId: 'c1', converted: true })).openCart).toBeUndefined();
    expect(apply(carted, checkout(at(2), { checkoutId: 'k9', converted: true })).openCart?.cartId).toBe('c1');
    expect(apply(start(), cart(at(2), { cartId: 'c1', converted: true })).openCart).toBeUndefined();
  });

  it('an order at or after the cart’s last change closes it, whichever arrives first', () => {
    const carted = apply(start(), cart(at(5), { cartId: 'c1' }));
    expect(apply(carted, order(at(5), usd('1.00'))).openCart).toBeUndefined();
    expect(apply(carted, order(at(4), usd('1.00'))).openCart?.cartId).toBe('c1');
    expect(apply(apply(start(), order(at(6), usd('1.00'))), cart(at(5), { cartId: 'c1' })).openCart).toBeUndefined();
  });
});

describe('browsing, places and devices', () => {
  it('remembers the newest product viewed, and ignores a view naming no product', () => {
    const viewed = apply(start(), event('product.viewed', at(2), { productId: 'p1', name: 'Dress' }));
    expect(viewed.lastProductViewed).toEqual({ productId: 'p1', name: 'Dress', at: at(2) });
    expect(apply(viewed, event('product.viewed', at(1), { productId: 'p0' })).lastProductViewed?.productId).toBe('p1');
    expect(apply(start(), event('product.viewed', at(2), {})).lastProductViewed).toBeUndefined();
  });

  it('remembers the newest location and infers the time zone from it, never over the platform’s', () => {
    const rome = { latitude: 41.9, longitude: 12.5, accuracyMeters: 10 };
    const located = apply(start(), event('location.reported', at(2), rome));
    expect(located).toMatchObject({ lastLocation: { ...rome, at: at(2) }, timeZone: 'Europe/Rome', timeZoneSource: 'location' });
    const older = apply(located, event('location.reported', at(1), { latitude: 35.7, longitude: 139.7 }));
    expect(older).toMatchObject({ lastLocation: { latitude: 41.9 }, timeZone: 'Europe/Rome' });
    const platform = start({ timeZone: 'America/New_York', timeZoneSource: 'platform', traitsAt: { timeZone: at(0) } });
    expect(apply(platform, event('location.reported', at(2), rome))).toMatchObject({ lastLocation: { latitude: 41.9 }, timeZone: 'America/New_York' });
    expect(apply(start(), event('location.reported', at(2), { latitude: 41.9 })).lastLocation).toBeUndefined();
    expect(apply(start(), event('location.reported', at(2), { longitude: 12.5 })).lastLocation).toBeUndefined();
  });

  it('a location does not override the time zone of a newer location', () => {
    const tokyo = start({ timeZone: 'Asia/Tokyo', timeZoneSource: 'location', traitsAt: { timeZone: at(9) } });
    expect(apply(tokyo, event('location.reported', at(2), { latitude: 41.9, longitude: 12.5 })).timeZone).toBe('Asia/Tokyo');
  });

  it('remembers the newest store visit, and ignores one naming no store', () => {
    const visited = apply(start(), event('store.visited', at(3), { storeId: 'berlin' }));
    expect(visited.lastStoreVisit).toEqual({ storeId: 'berlin', at: at(3) });
    expect(apply(visited, event('store.visited', at(2), { storeId: 'rome' })).lastStoreVisit?.storeId).toBe('berlin');
    expect(apply(start(), event('store.visited', at(3), {})).lastStoreVisit).toBeUndefined();
  });

  it('counts events per device from the user agent, and none without one', () => {
    const iphone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148';
    const twice = applyAll([
      event('product.viewed', at(1), { productId: 'p' }, { context: { userAgent: iphone } }),
      event('product.viewed', at(2), { productId: 'p' }, { context: { userAgent: iphone } }),
    ]);
    expect(twice.devices).toEqual({ mobile: 2 });
    expect(apply(start(), event('product.viewed', at(1), { productId: 'p' })).devices).toBeUndefined();
  });

  it('does not count the shop’s own doings (shipping, delivery) as the person being active', () => {
    const seen = apply(start(), event('product.viewed', at(1), { productId: 'p' }));
    for (const detailType of ['order.fulfilled', 'order.delivered']) {
      const shipped = apply(seen, event(detailType, '2026-11-25T10:00:00.000Z', { orderId: 'o1' }));
      expect(shipped.lastSeenAt).toBe(seen.lastSeenAt);
      expect(shipped.activeDays).toEqual(['2026-11-20']);
    }
    expect(apply(seen, event('product.viewed', '2026-11-25T10:00:00.000Z', { productId: 'p' })).activeDays).toEqual(['2026-11-20', '2026-11-25']);
  });
});
