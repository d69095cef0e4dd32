import type { ConsentChannel, Profile } from '#shared/events/profile.js';
import { addDecimal } from '#shared/money.js';
import { addActiveDay, decideConsent, earlier, later, newer, timeZoneRank, traitNames } from './apply-event.js';
import type { ProfileConfig } from './config.js';
import { derive } from './derive.js';

const sum = (a: number | undefined, b: number | undefined) => (a === undefined && b === undefined ? undefined : (a ?? 0) + (b ?? 0));

function addCounts(a: Record<string, number> | undefined, b: Record<string, number> | undefined): Record<string, number> | undefined {
  if (a === undefined && b === undefined) return undefined;
  const total: Record<string, number> = { ...a };
  for (const [key, count] of Object.entries(b ?? {})) total[key] = (total[key] ?? 0) + count;
  return total;
}

function addRevenues(a: Record<string, string>, b: Record<string, string>): Record<string, string> {
  const total = { ...a };
  // Stryker disable next-line StringLiteral: adding to '' and to '0' give the same sum.
  for (const [currency, amount] of Object.entries(b)) total[currency] = addDecimal(total[currency] ?? '0', amount);
  return total;
}

/**
 * One person found under two profiles (browsing anonymously, then checking out with an email):
 * the survivor keeps its id and takes the other's history. Traits: the newer value of each
 * (trait times decide); counters and money: added (an event is only ever applied to one profile);
 * first and last times: the earlier and the later; dated facts and consent: the newer decision,
 * an unsubscribe winning a tie. The result does not depend on which profile survives.
 */
export function mergeProfiles(survivor: Profile, absorbed: Profile, config: ProfileConfig): Profile {
  let merged: Profile = {
    ...survivor,
    firstSeenAt: earlier(survivor.firstSeenAt, absorbed.firstSeenAt),
    lastSeenAt: later(survivor.lastSeenAt, absorbed.lastSeenAt),
    orderCount: survivor.orderCount + absorbed.orderCount,
    cancelledCount: sum(survivor.cancelledCount, absorbed.cancelledCount),
    reviewCount: sum(survivor.reviewCount, absorbed.reviewCount),
    referralCount: sum(survivor.referralCount, absorbed.referralCount),
    revenue: addRevenues(survivor.revenue, absorbed.revenue),
    // Stryker disable next-line ConditionalExpression: earlier(x, undefined) is x; the test is there for the types.
    firstOrderAt: absorbed.firstOrderAt === undefined ? survivor.firstOrderAt : earlier(survivor.firstOrderAt, absorbed.firstOrderAt),
    // Stryker disable next-line ConditionalExpression: later(x, undefined) is x; the test is there for the types.
    lastOrderAt: absorbed.lastOrderAt === undefined ? survivor.lastOrderAt : later(survivor.lastOrderAt, absorbed.lastOrderAt),
    lastProductViewed: newer(survivor.lastProductViewed, absorbed.lastProductViewed),
    ...(survivor.boughtProducts === undefined && absorbed.boughtProducts === undefined
      ? {}
      : { boughtProducts: [...new Set([...(survivor.boughtProducts ?? []), ...(absorbed.boughtProducts ?? [])])].slice(0, 100) }),
    openCart: newer(survivor.openCart, absorbed.openCart),
    lastLocation: newer(survivor.lastLocation, absorbed.lastLocation),
    lastStoreVisit: newer(survivor.lastStoreVisit, absorbed.lastStoreVisit),
    devices: addCounts(survivor.devices, absorbed.devices),
    // The tier follows from the points (derive, below).
    // Stryker disable next-line StringLiteral: derive() replaces the tier.
    loyalty: { points: (survivor.loyalty?.points ?? 0) + (absorbed.loyalty?.points ?? 0), tier: '' },
    activeDays: (absorbed.activeDays ?? []).reduce((days, day) => addActiveDay(days, day), survivor.activeDays ?? []),
    traitsAt: { ...survivor.traitsAt },
  };
  for (const name of traitNames) {
    const theirs = absorbed[name];
    const theirsAt = absorbed.traitsAt[name];
    const oursAt = merged.traitsAt[name];
    if (theirs !== undefined && theirsAt !== undefined && (oursAt === undefined || theirsAt > oursAt || merged[name] === undefined)) {
      merged = { ...merged, [name]: theirs, traitsAt: { ...merged.traitsAt, [name]: theirsAt } };
    }
  }
  const theirZone = absorbed.timeZone;
  if (theirZone !== undefined) {
    const better =
      merged.timeZone === undefined ||
      timeZoneRank(absorbed.timeZoneSource) > timeZoneRank(merged.timeZoneSource) ||
      (timeZoneRank(absorbed.timeZoneSource) === timeZoneRank(merged.timeZoneSource) && (absorbed.traitsAt.timeZone ?? '') > (merged.traitsAt.timeZone ?? ''));
    if (better)
      merged = {
        ...merged,
        timeZone: theirZone,
        timeZoneSource: absorbed.timeZoneSource,
        traitsAt: { ...merged.traitsAt, timeZone: absorbed.traitsAt.timeZone ?? merged.lastSeenAt },
      };
  }
  for (const channel of ['email', 'sms', 'push'] as const satisfies readonly ConsentChannel[]) {
    const theirs = absorbed.consent?.[channel];
    if (theirs) merged = { ...merged, consent: { ...merged.consent, [channel]: decideConsent(merged.consent?.[channel], theirs) } };
  }
  // A cart closed by an order on either side stays closed.
  if (merged.openCart && merged.lastOrderAt && merged.lastOrderAt >= merged.openCart.updatedAt) merged = { ...merged, openCart: undefined };
  return derive(merged, config);
}

/** Orders profiles for a merge, survivor first: found by the more trustworthy key, else the older. */
export function bySurvival(a: { profile: Profile; rank: number }, b: { profile: Profile; rank: number }): number {
  return a.rank - b.rank || a.profile.firstSeenAt.localeCompare(b.profile.firstSeenAt);
}
