import type { Identity, Traits } from '../../../shared/events/common.js';
import type { OrderCompleted } from '../../../shared/events/order-completed.js';
import type { Profile } from '../../../shared/events/profile.js';
import { addDecimal } from '../../../shared/money.js';
import type { IdentityKind } from '../../../shared/table.js';

/** A canonical customer event as profiles receives it. */
export interface CustomerEvent {
  readonly detailType: string;
  readonly detail: {
    readonly eventId: string;
    readonly occurredAt: string;
    readonly identity: Identity;
    readonly traits: Traits;
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

export function primaryIdentityKey(identity: Identity): IdentityKey | undefined {
  return identityKeys(identity)[0];
}

export const identityKeyText = (key: IdentityKey) => `${key.kind}#${key.value}`;

export function emptyProfile(profileId: string, firstSeenAt: string): Profile {
  return { profileId, orderCount: 0, revenue: {}, firstSeenAt, lastSeenAt: firstSeenAt, traitsAt: {} };
}

export interface Applied {
  readonly profile: Profile;
  /** Names of the profile fields whose value changed. */
  readonly changed: readonly string[];
}

const earlier = (a: string | undefined, b: string): string => (a === undefined || b < a ? b : a);
const later = (a: string | undefined, b: string): string => (a === undefined || b > a ? b : a);

/**
 * Applies one event to a profile. Results depend on `occurredAt`, not on arrival: a late, older
 * event never overwrites a trait set by a newer one, and counters are commutative.
 */
export function applyEvent(before: Profile, event: CustomerEvent): Applied {
  const { occurredAt, identity, traits } = event.detail;
  let profile: Profile = {
    ...before,
    firstSeenAt: earlier(before.firstSeenAt, occurredAt),
    lastSeenAt: later(before.lastSeenAt, occurredAt),
    traitsAt: { ...before.traitsAt },
  };
  const setTrait = (name: 'email' | 'firstName' | 'lastName' | 'locale' | 'timeZone', value: string | undefined) => {
    const setAt = profile.traitsAt[name];
    if (value === undefined || (setAt !== undefined && setAt > occurredAt)) return;
    profile = { ...profile, [name]: value, traitsAt: { ...profile.traitsAt, [name]: occurredAt } };
  };
  setTrait('email', identity.email?.trim().toLowerCase());
  setTrait('firstName', traits.firstName);
  setTrait('lastName', traits.lastName);
  setTrait('locale', traits.locale);
  setTrait('timeZone', traits.timeZone);

  if (event.detailType === 'order.completed') {
    const { total } = (event.detail as OrderCompleted).properties;
    profile = {
      ...profile,
      orderCount: profile.orderCount + 1,
      // An order awaiting enrichment has no total yet; it counts, and its revenue comes with enrichment.
      revenue: total ? { ...profile.revenue, [total.currency]: addDecimal(profile.revenue[total.currency] ?? '0', total.amount) } : profile.revenue,
      firstOrderAt: earlier(profile.firstOrderAt, occurredAt),
      lastOrderAt: later(profile.lastOrderAt, occurredAt),
    };
  }
  return { profile, changed: changedFields(before, profile) };
}

export function changedFields(before: Profile | undefined, after: Profile): string[] {
  const names = new Set([...Object.keys(before ?? {}), ...Object.keys(after)]);
  names.delete('traitsAt');
  return [...names].filter((name) => JSON.stringify(before?.[name as keyof Profile]) !== JSON.stringify(after[name as keyof Profile])).sort();
}
