import { emptyProfile } from '#services/profiles/core/apply-event.js';
import { bySurvival, mergeProfiles } from '#services/profiles/core/merge.js';
import type { ConsentDecision, Profile } from '#shared/events/profile.js';
import { profileConfig } from '../support/fixtures.js';

/**
 * One person found under two profiles: the merged profile is what one profile would hold had it
 * seen both histories. Each case names a field a marketer's rule or a send decision reads.
 */
const day = (n: number) => new Date(Date.UTC(2026, 9, n)).toISOString();
const person = (profileId: string, fields: Partial<Profile> = {}): Profile => ({ ...emptyProfile(profileId, day(1)), ...fields });
const merge = (survivor: Partial<Profile>, absorbed: Partial<Profile>) => mergeProfiles(person('s', survivor), person('a', absorbed), profileConfig);
const decision = (state: ConsentDecision['state'], at: string, source = 'shopify'): ConsentDecision => ({ state, at, source });

describe('merging two profiles of one person', () => {
  it('keeps the survivor’s id', () => {
    expect(merge({}, {}).profileId).toBe('s');
  });

  it('adds orders, cancellations, reviews and referrals, and leaves a count neither had unset', () => {
    const merged = merge({ orderCount: 2, cancelledCount: 1, reviewCount: 3 }, { orderCount: 1, cancelledCount: 2, referralCount: 4 });
    expect(merged).toMatchObject({ orderCount: 3, cancelledCount: 3, reviewCount: 3, referralCount: 4 });
    const none = merge({}, {});
    expect(none.cancelledCount).toBeUndefined();
    expect(none.reviewCount).toBeUndefined();
    expect(none.referralCount).toBeUndefined();
  });

  it('adds revenue per currency, exactly, and keeps a currency only one of them had', () => {
    expect(merge({ revenue: { USD: '10.10', EUR: '5.00' } }, { revenue: { USD: '0.20', GBP: '7.50' } }).revenue).toEqual({
      USD: '10.30',
      EUR: '5.00',
      GBP: '7.50',
    });
  });

  it('takes the earlier first sighting and first order, and the later last sighting and last order', () => {
    const merged = merge(
      { firstSeenAt: day(3), lastSeenAt: day(9), firstOrderAt: day(4), lastOrderAt: day(8) },
      { firstSeenAt: day(2), lastSeenAt: day(10), firstOrderAt: day(5), lastOrderAt: day(9) },
    );
    expect(merged).toMatchObject({ firstSeenAt: day(2), lastSeenAt: day(10), firstOrderAt: day(4), lastOrderAt: day(9) });
    expect(merge({}, { firstOrderAt: day(5), lastOrderAt: day(6) })).toMatchObject({ firstOrderAt: day(5), lastOrderAt: day(6) });
    expect(merge({ firstOrderAt: day(5), lastOrderAt: day(6) }, {})).toMatchObject({ firstOrderAt: day(5), lastOrderAt: day(6) });
  });

  it('keeps the newer of each dated fact: the product viewed, the cart, the location, the store visit', () => {
    const older = {
      lastProductViewed: { productId: 'old', at: day(2) },
      openCart: { cartId: 'c-old', itemCount: 1, updatedAt: day(2) },
      lastLocation: { latitude: 1, longitude: 1, at: day(2) },
      lastStoreVisit: { storeId: 'old', at: day(2) },
    };
    const newer = {
      lastProductViewed: { productId: 'new', at: day(3) },
      openCart: { cartId: 'c-new', itemCount: 2, updatedAt: day(3) },
      lastLocation: { latitude: 2, longitude: 2, at: day(3) },
      lastStoreVisit: { storeId: 'new', at: day(3) },
    };
    for (const merged of [merge(older, newer), merge(newer, older)])
      expect(merged).toMatchObject({
        lastProductViewed: { productId: 'new' },
        openCart: { cartId: 'c-new' },
        lastLocation: { latitude: 2 },
        lastStoreVisit: { storeId: 'new' },
      });
  });

  it('knows every product either bought, once each, the survivor’s first, at most 100', () => {
    expect(merge({ boughtProducts: ['a', 'b'] }, { boughtProducts: ['b', 'c'] }).boughtProducts).toEqual(['a', 'b', 'c']);
    expect(merge({}, { boughtProducts: ['c'] }).boughtProducts).toEqual(['c']);
    expect(merge({ boughtProducts: ['a'] }, {}).boughtProducts).toEqual(['a']);
    const many = (prefix: string) => Array.from({ length: 80 }, (_, index) => `${prefix}${index}`);
    const merged = merge({ boughtProducts: many('s') }, { boughtProducts: many('a') }).boughtProducts;
    expect(merged).toHaveLength(100);
    expect(merged?.slice(0, 80)).toEqual(many('s'));
    expect(Object.keys(merge({}, {}))).not.toContain('boughtProducts');
  });

  it('adds the events seen per device, and leaves devices unset when neither saw one', () => {
    expect(merge({ devices: { mobile: 2 } }, { devices: { mobile: 1, desktop: 4 } }).devices).toEqual({ mobile: 3, desktop: 4 });
    expect(merge({}, { devices: { tablet: 1 } }).devices).toEqual({ tablet: 1 });
    expect(merge({ devices: { tablet: 1 } }, {}).devices).toEqual({ tablet: 1 });
    expect(merge({}, {}).devices).toBeUndefined();
  });

  it('adds loyalty points, and the tier follows the total', () => {
    expect(merge({ loyalty: { points: 300, tier: 'bronze' } }, { loyalty: { points: 250, tier: 'bronze' } }).loyalty).toEqual({ points: 550, tier: 'silver' });
    expect(merge({}, { loyalty: { points: 40, tier: 'bronze' } }).loyalty).toEqual({ points: 40, tier: 'bronze' });
    expect(merge({ loyalty: { points: 40, tier: 'bronze' } }, {}).loyalty).toEqual({ points: 40, tier: 'bronze' });
  });

  it('keeps the active days of both, once each, the latest 30', () => {
    expect(merge({ activeDays: ['2026-10-01', '2026-10-03'] }, { activeDays: ['2026-10-02', '2026-10-03'] }).activeDays).toEqual([
      '2026-10-01',
      '2026-10-02',
      '2026-10-03',
    ]);
    expect(merge({}, { activeDays: ['2026-10-02'] }).activeDays).toEqual(['2026-10-02']);
    const days = (from: number) => Array.from({ length: 20 }, (_, index) => new Date(Date.UTC(2026, 8, from + index)).toISOString().slice(0, 10));
    const merged = merge({ activeDays: days(1) }, { activeDays: days(21) }).activeDays;
    expect(merged).toHaveLength(30);
    expect(merged?.[0]).toBe('2026-09-11');
  });

  it('keeps the newer value of each trait, whichever side has it', () => {
    const merged = merge(
      { firstName: 'Ada', lastName: 'Byron', city: 'London', traitsAt: { firstName: day(5), lastName: day(2), city: day(2) } },
      { firstName: 'Augusta', lastName: 'Lovelace', country: 'GB', traitsAt: { firstName: day(4), lastName: day(3), country: day(1) } },
    );
    expect(merged).toMatchObject({ firstName: 'Ada', lastName: 'Lovelace', city: 'London', country: 'GB' });
    expect(merged.traitsAt).toMatchObject({ firstName: day(5), lastName: day(3), city: day(2), country: day(1) });
  });

  it('takes a trait the survivor never held even when the survivor’s time for it is newer', () => {
    expect(merge({ traitsAt: { phone: day(9) } }, { phone: '+441234567890', traitsAt: { phone: day(1) } }).phone).toBe('+441234567890');
  });

  it('ignores a trait value without a time, and a time without a value', () => {
    expect(merge({ firstName: 'Ada', traitsAt: { firstName: day(1) } }, { firstName: 'Augusta', traitsAt: {} }).firstName).toBe('Ada');
    expect(merge({ firstName: 'Ada', traitsAt: { firstName: day(1) } }, { traitsAt: { firstName: day(9) } }).firstName).toBe('Ada');
  });

  it('takes the better-founded time zone: the platform’s over a location’s over the shop’s, then the newer', () => {
    const platform = { timeZone: 'Europe/Rome', timeZoneSource: 'platform' as const, traitsAt: { timeZone: day(1) } };
    const located = { timeZone: 'Europe/Paris', timeZoneSource: 'location' as const, traitsAt: { timeZone: day(9) } };
    const shop = { timeZone: 'Europe/Berlin', timeZoneSource: 'shop' as const, traitsAt: { timeZone: day(9) } };
    expect(merge(located, platform)).toMatchObject({ timeZone: 'Europe/Rome', timeZoneSource: 'platform', traitsAt: { timeZone: day(1) } });
    expect(merge(platform, located)).toMatchObject({ timeZone: 'Europe/Rome', timeZoneSource: 'platform' });
    expect(merge(shop, located)).toMatchObject({ timeZone: 'Europe/Paris', timeZoneSource: 'location' });
    expect(merge(located, shop)).toMatchObject({ timeZone: 'Europe/Paris', timeZoneSource: 'location' });
    const newerPlatform = { ...platform, timeZone: 'Asia/Tokyo', traitsAt: { timeZone: day(5) } };
    expect(merge(platform, newerPlatform)).toMatchObject({ timeZone: 'Asia/Tokyo', traitsAt: { timeZone: day(5) } });
    expect(merge(newerPlatform, platform)).toMatchObject({ timeZone: 'Asia/Tokyo', traitsAt: { timeZone: day(5) } });
    expect(merge({}, located)).toMatchObject({ timeZone: 'Europe/Paris', timeZoneSource: 'location' });
    expect(merge(located, {})).toMatchObject({ timeZone: 'Europe/Paris', timeZoneSource: 'location' });
  });

  it('dates a time zone taken without a time of its own at the person’s last sighting', () => {
    const merged = merge({ lastSeenAt: day(7) }, { timeZone: 'Europe/Rome', timeZoneSource: 'platform' });
    expect(merged.traitsAt.timeZone).toBe(day(7));
  });

  it('keeps the newer consent decision per channel, and an unsubscribe on a tie', () => {
    const merged = merge(
      { consent: { email: decision('subscribed', day(5)), sms: decision('subscribed', day(3)) } },
      { consent: { email: decision('unsubscribed', day(4)), sms: decision('unsubscribed', day(3)), push: decision('subscribed', day(1)) } },
    );
    expect(merged.consent).toEqual({ email: decision('subscribed', day(5)), sms: decision('unsubscribed', day(3)), push: decision('subscribed', day(1)) });
    expect(merge({}, { consent: { email: decision('unsubscribed', day(1)) } }).consent).toEqual({ email: decision('unsubscribed', day(1)) });
    expect(merge({ consent: { email: decision('unsubscribed', day(1)) } }, {}).consent).toEqual({ email: decision('unsubscribed', day(1)) });
  });

  it('closes a cart that an order on the other profile came after, even in the same instant', () => {
    const cart = { openCart: { cartId: 'c1', itemCount: 1, updatedAt: day(5) } };
    expect(merge(cart, { lastOrderAt: day(6), orderCount: 1 }).openCart).toBeUndefined();
    expect(merge(cart, { lastOrderAt: day(5), orderCount: 1 }).openCart).toBeUndefined();
    expect(merge({ lastOrderAt: day(6), orderCount: 1 }, cart).openCart).toBeUndefined();
    expect(merge(cart, { lastOrderAt: day(4), orderCount: 1 }).openCart).toEqual(cart.openCart);
    expect(merge(cart, {}).openCart).toEqual(cart.openCart);
  });

  it('derives the scores and segments of the merged history', () => {
    const merged = merge(
      { orderCount: 1, revenue: { USD: '60.00' }, lastOrderAt: day(20) },
      { orderCount: 1, revenue: { USD: '60.00' }, lastOrderAt: day(21) },
    );
    expect(merged.averageOrderValue).toEqual({ USD: '60.00' });
    expect(merged.segments).toEqual(expect.arrayContaining(['tier:bronze']));
  });
});

describe('which profile survives a merge', () => {
  const candidate = (profileId: string, rank: number, firstSeenAt: string) => ({ profile: person(profileId, { firstSeenAt }), rank });

  it('the one found by the more trustworthy key, else the older', () => {
    const sorted = [
      candidate('anonymous', 4, day(1)),
      candidate('customer', 1, day(9)),
      candidate('email-new', 0, day(8)),
      candidate('email-old', 0, day(2)),
    ].sort(bySurvival);
    expect(sorted.map((entry) => entry.profile.profileId)).toEqual(['email-old', 'email-new', 'customer', 'anonymous']);
  });
});
