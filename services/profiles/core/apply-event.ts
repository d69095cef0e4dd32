import tzLookup from '@photostructure/tz-lookup';
import type { Identity, Money, Traits } from '#shared/events/common.js';
import type { ConsentChannel, ConsentDecision, Profile } from '#shared/events/profile.js';
import { addDecimal } from '#shared/money.js';
import { shopSettings } from '#shared/shops.js';
import type { IdentityKind } from '#shared/table.js';
import type { ProfileConfig } from './config.js';
import { derive } from './derive.js';
import { deviceOf } from './device.js';

/** A canonical customer event as profiles receives it. */
export interface CustomerEvent {
  readonly detailType: string;
  readonly detail: {
    readonly eventId: string;
    readonly occurredAt: string;
    readonly identity: Identity;
    readonly traits: Traits;
    readonly context?: { readonly userAgent?: string | undefined } | undefined;
    readonly origin?: { readonly platform: string; readonly topic: string; readonly shop?: string | undefined } | undefined;
    readonly properties: Record<string, unknown>;
  };
}

export interface IdentityKey {
  readonly kind: IdentityKind;
  readonly value: string;
}

/** Every identity key of an event, most trustworthy first: a profile is found by the first one it has. */
export function identityKeys(identity: Identity): IdentityKey[] {
  const keys: IdentityKey[] = [];
  if (identity.email) keys.push({ kind: 'email', value: identity.email.trim().toLowerCase() });
  if (identity.customerId) keys.push({ kind: 'customer', value: identity.customerId });
  if (identity.phone) keys.push({ kind: 'phone', value: identity.phone });
  if (identity.userId) keys.push({ kind: 'user', value: identity.userId });
  if (identity.anonymousId) keys.push({ kind: 'anonymous', value: identity.anonymousId });
  if (identity.cartRef) keys.push({ kind: 'cart', value: identity.cartRef });
  if (identity.orderRef) keys.push({ kind: 'order', value: identity.orderRef });
  return keys;
}

/** Cart and order references find a person but never make one: a refund alone names nobody. */
export const isReference = (key: IdentityKey) => key.kind === 'cart' || key.kind === 'order';

export function primaryIdentityKey(identity: Identity): IdentityKey | undefined {
  return identityKeys(identity)[0];
}

export const identityKeyText = (key: IdentityKey) => `${key.kind}#${key.value}`;

const kinds: readonly IdentityKind[] = ['email', 'phone', 'customer', 'user', 'anonymous', 'cart', 'order'];

/** Reads a key as people type it: `email:ada@example.com`, `customer:shopify:42`, or a bare email address. */
export function parseIdentityKey(text: string): IdentityKey | undefined {
  const colon = text.indexOf(':');
  const kind = text.slice(0, colon) as IdentityKind;
  if (colon > 0 && kinds.includes(kind) && text.length > colon + 1) {
    const value = text.slice(colon + 1);
    // A key of blanks names nobody (and an email's blanks around it are not part of it).
    if (value.trim() === '') return undefined;
    return { kind, value: kind === 'email' ? value.trim().toLowerCase() : value };
  }
  return text.includes('@') && text.trim() !== '@' ? { kind: 'email', value: text.trim().toLowerCase() } : undefined;
}

/** Most products kept as bought: enough to never recommend a recent purchase, bounded for the item size. */
const maxBoughtProducts = 100;

/** The products bought, the order's first, then the earlier ones; unchanged by an order naming no product. */
function boughtNow(before: readonly string[] | undefined, items: readonly { productId?: string | undefined }[] | undefined) {
  const now = [...new Set((items ?? []).flatMap((item) => (item.productId === undefined ? [] : [item.productId])))];
  if (now.length === 0) return {};
  return { boughtProducts: [...now, ...(before ?? []).filter((id) => !now.includes(id))].slice(0, maxBoughtProducts) };
}

export function emptyProfile(profileId: string, firstSeenAt: string): Profile {
  return { profileId, orderCount: 0, revenue: {}, firstSeenAt, lastSeenAt: firstSeenAt, traitsAt: {} };
}

export interface Applied {
  readonly profile: Profile;
  /** Names of the profile fields whose value changed. */
  readonly changed: readonly string[];
}

// Stryker disable next-line EqualityOperator: on a tie a and b are the same instant.
export const earlier = (a: string | undefined, b: string): string => (a === undefined || b < a ? b : a);
// Stryker disable next-line EqualityOperator: on a tie a and b are the same instant.
export const later = (a: string | undefined, b: string): string => (a === undefined || b > a ? b : a);

/** Of two dated values, the newer; on a tie, the one already held (so replays change nothing). */
export function newer<T extends { at: string } | { updatedAt: string }>(held: T | undefined, candidate: T | undefined): T | undefined {
  if (candidate === undefined) return held;
  if (held === undefined) return candidate;
  const at = (value: T) => ('at' in value ? value.at : value.updatedAt);
  return at(candidate) > at(held) ? candidate : held;
}

/** What the shop or its carrier did, not the person: no sign that they are active (last seen, engagement). */
const doneByTheShop: ReadonlySet<string> = new Set(['order.fulfilled', 'order.delivered']);

/** The plain traits: each holds the value with the newest `traitsAt`. */
export const traitNames = ['email', 'phone', 'firstName', 'lastName', 'locale', 'country', 'city', 'birthday', 'shop'] as const;
export type TraitName = (typeof traitNames)[number];

const consentStrength = { unsubscribed: 2, subscribed: 1, 'not-subscribed': 0 } as const;

/**
 * The most recent decision wins, whatever order they arrive in; of two at the same instant the
 * unsubscribe wins. So an unsubscribe is never undone by an older event arriving late.
 */
export function decideConsent(held: ConsentDecision | undefined, candidate: ConsentDecision): ConsentDecision {
  if (held === undefined || candidate.at > held.at) return candidate;
  if (candidate.at === held.at && consentStrength[candidate.state] > consentStrength[held.state]) return candidate;
  return held;
}

const subtract = (amount: string) => (amount.startsWith('-') ? amount.slice(1) : `-${amount}`);

function addRevenue(revenue: Record<string, string>, money: Money | undefined, sign: 1 | -1): Record<string, string> {
  if (money === undefined) return revenue;
  // Stryker disable next-line StringLiteral: adding to '' and to '0' give the same sum.
  return { ...revenue, [money.currency]: addDecimal(revenue[money.currency] ?? '0', sign === 1 ? money.amount : subtract(money.amount)) };
}

/** Loyalty points an amount earns: whole points per unit of the loyalty currency. */
function pointsFor(money: Money | undefined, config: ProfileConfig): number {
  if (money === undefined || money.currency !== config.loyalty.currency) return 0;
  const points = Math.floor(Number(money.amount) * config.loyalty.pointsPerUnit);
  // An amount no platform means (intake leaves those out; an event from before that rule may not) earns nothing rather than a count no item can store.
  return Number.isSafeInteger(points) ? points : 0;
}

interface Properties {
  total?: Money;
  amount?: Money;
  acceptsMarketing?: boolean;
  cartId?: string;
  checkoutId?: string;
  items?: unknown[];
  recoveryUrl?: string;
  converted?: boolean;
  productId?: string;
  name?: string;
  latitude?: number;
  longitude?: number;
  accuracyMeters?: number;
  storeId?: string;
  channel?: ConsentChannel;
  state?: ConsentDecision['state'];
}

/**
 * Applies one event to a profile. Results depend on `occurredAt`, not on arrival: a late, older
 * event never overwrites a trait set by a newer one, counters only add, and dated facts (last
 * product viewed, open cart, consent) keep the newest.
 */
export function applyEvent(before: Profile, event: CustomerEvent, config: ProfileConfig): Applied {
  const { occurredAt, identity, traits } = event.detail;
  const properties = event.detail.properties as Properties;
  const source = event.detail.origin ? `${event.detail.origin.platform}:${event.detail.origin.topic}` : event.detailType;
  // The shop's own doing (shipping, the carrier's delivery) does not say the person was seen.
  const seen = !doneByTheShop.has(event.detailType);
  let profile: Profile = {
    ...before,
    firstSeenAt: seen ? earlier(before.firstSeenAt, occurredAt) : before.firstSeenAt,
    lastSeenAt: seen ? later(before.lastSeenAt, occurredAt) : before.lastSeenAt,
    traitsAt: { ...before.traitsAt },
  };
  const setTrait = (name: TraitName, value: string | undefined) => {
    const setAt = profile.traitsAt[name];
    if (value === undefined || (setAt !== undefined && setAt > occurredAt)) return;
    profile = { ...profile, [name]: value, traitsAt: { ...profile.traitsAt, [name]: occurredAt } };
  };
  setTrait('email', identity.email?.trim().toLowerCase());
  setTrait('phone', identity.phone);
  setTrait('firstName', traits.firstName);
  setTrait('lastName', traits.lastName);
  setTrait('locale', traits.locale);
  setTrait('country', traits.country);
  setTrait('city', traits.city);
  setTrait('birthday', traits.birthday);
  if (traits.timeZone) profile = withTimeZone(profile, traits.timeZone, 'platform', occurredAt);
  // The shop the person last dealt with: the language and sender of messages no event of a shop triggers (a birthday).
  const shopName = event.detail.origin?.shop;
  if (event.detail.origin?.platform !== 'nudge') setTrait('shop', shopName);
  // What the shop says of its customers (config/shops.json), where nothing better is known:
  // Shopify sends no customer time zone, and a send window in UTC is a reminder at night in Rome.
  const shop = shopSettings(config.shops, shopName);
  if (shop !== undefined) {
    if (profile.timeZone === undefined && shop.timeZone !== undefined) profile = withTimeZone(profile, shop.timeZone, 'shop', occurredAt);
    if (profile.country === undefined && shop.country !== undefined) setTrait('country', shop.country);
  }

  const consent = (channel: ConsentChannel, state: ConsentDecision['state']) => {
    const decided = decideConsent(profile.consent?.[channel], { state, at: occurredAt, source });
    profile = { ...profile, consent: { ...profile.consent, [channel]: decided } };
  };
  // Ticking "email me" at checkout is a decision to subscribe; leaving it empty decides nothing.
  if (properties.acceptsMarketing === true) consent('email', 'subscribed');

  const points = (earned: number) => {
    // Stryker disable next-line StringLiteral: derive() sets the tier from the points.
    const loyalty = profile.loyalty ?? { points: 0, tier: '' };
    profile = { ...profile, loyalty: { ...loyalty, points: loyalty.points + earned } };
  };

  switch (event.detailType) {
    case 'order.completed':
      profile = {
        ...profile,
        orderCount: profile.orderCount + 1,
        // An order awaiting enrichment has no total yet; it counts, and its revenue comes with enrichment.
        revenue: addRevenue(profile.revenue, properties.total, 1),
        firstOrderAt: earlier(profile.firstOrderAt, occurredAt),
        lastOrderAt: later(profile.lastOrderAt, occurredAt),
        ...boughtNow(profile.boughtProducts, properties.items as readonly { productId?: string }[] | undefined),
      };
      points(pointsFor(properties.total, config));
      break;
    case 'order.cancelled':
      profile = { ...profile, cancelledCount: (profile.cancelledCount ?? 0) + 1, revenue: addRevenue(profile.revenue, properties.total, -1) };
      points(-pointsFor(properties.total, config));
      break;
    case 'order.refunded':
      profile = { ...profile, revenue: addRevenue(profile.revenue, properties.amount, -1) };
      points(-pointsFor(properties.amount, config));
      break;
    case 'checkout.started':
    case 'cart.updated': {
      const cart = {
        cartId: properties.cartId,
        checkoutId: properties.checkoutId,
        itemCount: properties.items?.length ?? 0,
        total: properties.total,
        recoveryUrl: properties.recoveryUrl,
        updatedAt: occurredAt,
      };
      const held = profile.openCart;
      const sameCart = held !== undefined && ((cart.cartId && cart.cartId === held.cartId) || (cart.checkoutId && cart.checkoutId === held.checkoutId));
      // A checkout of the cart keeps what it already knew (the checkout's recovery link, the cart id).
      const merged = sameCart && held ? { ...held, ...Object.fromEntries(Object.entries(cart).filter(([, value]) => value !== undefined)) } : cart;
      if (properties.converted) {
        if (sameCart) profile = { ...profile, openCart: undefined };
      } else if (held === undefined || occurredAt >= held.updatedAt) {
        profile = { ...profile, openCart: merged as NonNullable<Profile['openCart']> };
      }
      break;
    }
    case 'product.viewed':
      if (properties.productId)
        profile = {
          ...profile,
          lastProductViewed: newer(profile.lastProductViewed, { productId: properties.productId, name: properties.name, at: occurredAt }),
        };
      break;
    case 'location.reported':
      if (properties.latitude !== undefined && properties.longitude !== undefined) {
        const location = { latitude: properties.latitude, longitude: properties.longitude, accuracyMeters: properties.accuracyMeters, at: occurredAt };
        profile = { ...profile, lastLocation: newer(profile.lastLocation, location) };
        if (profile.lastLocation === location && profile.timeZoneSource !== 'platform') {
          profile = withTimeZone(profile, tzLookup(location.latitude, location.longitude), 'location', occurredAt);
        }
      }
      break;
    case 'store.visited':
      if (properties.storeId) profile = { ...profile, lastStoreVisit: newer(profile.lastStoreVisit, { storeId: properties.storeId, at: occurredAt }) };
      break;
    case 'consent.changed':
      if (properties.channel && properties.state) consent(properties.channel, properties.state);
      break;
    case 'review.submitted':
      profile = { ...profile, reviewCount: (profile.reviewCount ?? 0) + 1 };
      points(config.loyalty.pointsPerReview);
      break;
    case 'referral.completed':
      profile = { ...profile, referralCount: (profile.referralCount ?? 0) + 1 };
      points(config.loyalty.pointsPerReferral);
      break;
  }
  // An order placed after the cart was last touched closes it, whichever arrived first.
  if (profile.openCart && profile.lastOrderAt && profile.lastOrderAt >= profile.openCart.updatedAt) profile = { ...profile, openCart: undefined };

  if (seen) profile = { ...profile, activeDays: addActiveDay(profile.activeDays, occurredAt.slice(0, 10)) };
  const device = deviceOf(event.detail.context?.userAgent);
  if (device) profile = { ...profile, devices: { ...profile.devices, [device]: (profile.devices?.[device] ?? 0) + 1 } };

  const derived = derive(profile, config);
  return { profile: derived, changed: changedFields(before, derived) };
}

/** A platform's time zone beats one inferred from a location, which beats the shop's; within each kind, the newer wins. */
function withTimeZone(profile: Profile, timeZone: string, source: 'platform' | 'location' | 'shop', at: string): Profile {
  const setAt = profile.traitsAt.timeZone;
  if (timeZoneRank(source) < timeZoneRank(profile.timeZoneSource)) return profile;
  if (source === profile.timeZoneSource && setAt !== undefined && setAt > at) return profile;
  return { ...profile, timeZone, timeZoneSource: source, traitsAt: { ...profile.traitsAt, timeZone: at } };
}

/** Keeps the 30 most recent distinct days with activity, oldest first. */
export function addActiveDay(days: readonly string[] | undefined, day: string): string[] {
  const all = [...new Set([...(days ?? []), day])].sort();
  return all.slice(-30);
}

export function changedFields(before: Profile | undefined, after: Profile): string[] {
  const names = new Set([...Object.keys(before ?? {}), ...Object.keys(after)]);
  names.delete('traitsAt');
  return [...names].filter((name) => JSON.stringify(before?.[name as keyof Profile]) !== JSON.stringify(after[name as keyof Profile])).sort();
}

/** How much a time zone's source is trusted: the platform's, then a location's, then the shop's. */
export const timeZoneRank = (source: Profile['timeZoneSource']): number => (source === 'platform' ? 2 : source === 'location' ? 1 : 0);
