import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Publication } from '#shared/adapters/bus-publisher.js';
import { InvalidEventError } from '#shared/events/bus-event.js';
import * as Events from '#shared/events/index.js';
import type { Profile } from '#shared/events/profile.js';
import { appliedEventRetentionSeconds } from '#shared/table.js';
import type { AppliedMarker, AppliedTerms, HistoryEntry, LastApplied, ProfileStore, StoredProfile } from './adapters/profile-store.js';
import { applyEvent, type CustomerEvent, changedFields, emptyProfile, identityKeys, identityKeyText, isReference } from './core/apply-event.js';
import type { ProfileConfig } from './core/config.js';
import { segmentChanges } from './core/derive.js';
import { bySurvival, mergeProfiles } from './core/merge.js';

export type UpdateOutcome =
  | {
      readonly kind: 'applied';
      readonly profile: Profile;
      /** The stored version the event made: higher is newer. */
      readonly version: number;
      readonly changed: readonly string[];
      readonly segments: { readonly entered: readonly string[]; readonly left: readonly string[] };
      /** Profiles this event showed to be the same person, now merged into `profile`. */
      readonly merged: readonly string[];
      readonly unmarked?: Unmarked;
    }
  /**
   * Applied before. `unfinished` is set when its profile.updated never went out and this delivery
   * is the one to finish it (the delivery that applied it, retried, or any once that one is long
   * gone): the profile as it is now, which includes the event.
   */
  | {
      readonly kind: 'duplicate';
      readonly unfinished?: { readonly profile: Profile; readonly version: number; readonly changed: readonly string[] };
      readonly unmarked?: Unmarked;
    }
  /** The event names only a cart or an order nobody is known by (a refund of an order from before Nudge): nothing to update. */
  | { readonly kind: 'unattached' };

/** An applied event whose marker is written once it is announced (see `recordAnnounced`). */
export interface Unmarked {
  readonly applied: LastApplied;
  readonly terms: AppliedTerms;
}

/**
 * How long the delivery that applied an event owns publishing its profile.updated. A concurrent
 * copy of the event (Shopify's orders/create and orders/paid are one order) leaves it to that
 * delivery meanwhile: publishing from the copy would announce a profile read before the event.
 */
export const publishLeaseMillis = 30_000;

/** Events whose marker is kept forever: an order counted twice, months apart, is wrong money. */
const permanentFacts = new Set(['order.completed', 'order.cancelled', 'order.refunded']);

/**
 * Browsing facts, most of the traffic, whose ids are per message (a Segment or app messageId, a
 * cart's token and time, a customer's time of change): a copy of one comes only when a platform
 * retries or an archive is replayed.
 */
const browsingFacts = new Set(['product.viewed', 'page.viewed', 'cart.updated', 'location.reported', 'customer.upserted']);

/**
 * Whether an applied event's marker is marked once its profile.updated is out, so a later copy
 * announces nothing: every fact but browsing. Facts whose id is per order, fulfilment or delivery
 * get copies routinely long after (Shopify's `orders/updated`, `fulfillments/update`, an
 * unsubscribe link clicked again), and each would announce the fact again. A browsing fact's copy
 * after the lease is announced once more, which rules apply once by the trigger's id; the mark would
 * be a write on most events to spare that.
 */
export const marksPublished = (detailType: string): boolean => !browsingFacts.has(detailType);

/** Facts whose copies come routinely after they are announced: a copy costs one read of the marker. */
const routinelyRepeated = new Set([...permanentFacts, 'order.fulfilled', 'order.delivered', 'consent.changed']);

/**
 * Optimistic concurrency: a write that lost a race to another event for the same person is tried
 * again, for as long as the function has time to spare (its timeout is 30 s; the rest is for
 * publishing). A count of attempts gave up on busy people: 50 orders for one person at once, eight
 * deliveries at a time, took one of them 19 attempts on a loaded two-core machine, and 21 once.
 */
const retryForMillis = 20_000;

/** The longest random pause between attempts: short, so an event that lost many races is not left behind by newer ones. */
const maxBackOffMillis = 50;

/** And at most this many attempts, each billed (strong reads, a refused write): a race that never clears is left to Lambda's retry. */
const maxAttempts = 100;

export interface UpdateOptions {
  readonly newProfileId?: () => string;
  /** How long to keep trying when other events for the person keep writing first. */
  readonly retryForMillis?: number;
}

/** The ids in an event's properties that tie steps of a sequence together. */
const correlationFields = ['orderId', 'checkoutId', 'cartId', 'productId', 'storeId'] as const;

function historyEntry(event: CustomerEvent): HistoryEntry {
  const refs: Record<string, string> = {};
  for (const field of correlationFields) {
    const value = event.detail.properties[field];
    if (typeof value === 'string') refs[field] = value;
  }
  return { detailType: event.detailType, eventId: event.detail.eventId, occurredAt: event.detail.occurredAt, refs };
}

/**
 * Finds the person an event is about and applies the event once, whatever the concurrency. When
 * the event's keys lead to two profiles (an anonymous browser who now checks out with an email),
 * the two are merged in the same transaction that applies the event.
 */
export async function updateProfile(
  store: ProfileStore,
  event: CustomerEvent,
  config: ProfileConfig,
  now: number,
  /** The bus delivery being handled (EventBridge keeps it across retries of one delivery). */
  deliveryId: string,
  { newProfileId = randomUUID, retryForMillis: budget = retryForMillis }: UpdateOptions = {},
): Promise<UpdateOutcome> {
  const keys = identityKeys(event.detail.identity);
  if (keys.length === 0) throw new InvalidEventError(`Event ${event.detail.eventId} has no usable identity key`);
  // An order's copies come routinely (orders/paid, orders/updated) once it is applied and announced:
  // one read of its marker spares each the look-ups and a refused transaction, billed in full.
  if (routinelyRepeated.has(event.detailType) && (await store.appliedMarker(event.detail.eventId))?.published === true) return { kind: 'duplicate' };
  const startedAt = performance.now();
  let attempt = 0;
  do {
    attempt++;
    // The first look-up at half price: every write below is conditional on what was read, so a
    // stale read only makes a conflict, and the attempts after it read strongly.
    const consistent = attempt > 1;
    const known = await store.findProfileIds(keys, consistent);
    // Each distinct live profile the keys lead to, ranked by the most trustworthy key leading there.
    const found = new Map<string, { stored: StoredProfile; profile: Profile; rank: number }>();
    const resolved = new Set<string>();
    /** Profiles keys lead to that are gone (erased while the keys were being claimed): the keys are taken anew. */
    const gone = new Set<string>();
    for (const [rank, key] of keys.entries()) {
      const id = known.get(identityKeyText(key));
      // Several keys usually lead to the same profile: read it once.
      // Stryker disable next-line ConditionalExpression,LogicalOperator: the never-skip replacements: a shortcut only: a key that leads nowhere resolves to nothing, and a profile read twice is found once.
      if (id === undefined || resolved.has(id)) continue;
      resolved.add(id);
      const stored = await store.resolve(id, consistent);
      if (stored === undefined) gone.add(id);
      else if (!found.has(stored.profile.profileId)) found.set(stored.profile.profileId, { stored, profile: stored.profile, rank });
    }
    // Nobody known, or a key leading nowhere, is a conclusion only a strong read may draw: the key may be a moment old.
    if (!consistent && (gone.size > 0 || (found.size === 0 && keys.every(isReference)))) continue;
    if (found.size === 0 && keys.every(isReference)) {
      if (await store.appliedMarker(event.detail.eventId)) return { kind: 'duplicate' };
      return { kind: 'unattached' };
    }
    const candidates = [...found.values()];
    // Stryker disable next-line MethodExpression: found is filled in key order, so it is already survivor first; the sort states the rule.
    const [first, ...others] = candidates.sort(bySurvival);
    const stored = first?.stored;
    // Read after the profiles: an event they no longer name as their last had its marker written first.
    const [marker] = await Promise.all([
      store.appliedMarker(event.detail.eventId),
      ...candidates.map(({ stored: { profile, lastApplied } }) => finishEarlier(store, profile.profileId, lastApplied, event.detail.eventId, config, now)),
    ]);
    if (marker !== undefined) return duplicateOf(store, marker, stored?.profile.profileId, deliveryId, now);
    const inFlight = candidates.find((candidate) => candidate.stored.lastApplied?.eventId === event.detail.eventId)?.stored;
    if (inFlight?.lastApplied !== undefined) return finishOwn(store, inFlight, inFlight.lastApplied, config, deliveryId, now);
    let before = stored?.profile ?? emptyProfile(newProfileId(), event.detail.occurredAt);
    for (const other of others) before = mergeProfiles(before, other.profile, config);
    const { profile } = applyEvent(before, event, config);
    const changed = changedFields(stored?.profile, profile);
    const absorbed = others.map((other) => ({ profileId: other.profile.profileId, version: other.stored.version }));
    const allAbsorbed = [...new Set([...(stored?.absorbed ?? []), ...others.flatMap((other) => [other.profile.profileId, ...other.stored.absorbed])])];
    const terms = appliedTerms(event.detailType, config);
    const entry = historyEntry(event);
    const seq = stored?.historySeq ?? 0;
    const outcome = await store.save({
      profile,
      expectedVersion: stored?.version,
      absorbed,
      allAbsorbed,
      newAliases: keys.flatMap((key) => {
        const id = known.get(identityKeyText(key));
        if (id === undefined) return [key];
        return gone.has(id) ? [{ ...key, strandedAt: id }] : [];
      }),
      eventId: event.detail.eventId,
      appliedBy: deliveryId,
      changed,
      history: { entry, seq },
      terms,
      now,
    });
    if (outcome === 'saved' || outcome === 'saved-unmarked')
      return {
        kind: 'applied',
        profile,
        version: (stored?.version ?? 0) + 1,
        changed,
        segments: segmentChanges(stored?.profile, profile),
        merged: absorbed.map((merged) => merged.profileId),
        ...(outcome === 'saved-unmarked'
          ? { unmarked: { applied: { eventId: event.detail.eventId, appliedBy: deliveryId, appliedAt: now, changed, seq, entry }, terms } }
          : {}),
      };
    if (outcome === 'duplicate') return duplicateOf(store, await store.appliedMarker(event.detail.eventId), stored?.profile.profileId, deliveryId, now);
    // Someone else wrote first: back off a little, at random, so a burst for one person spreads out.
    // Stryker disable next-line ArithmeticOperator,MethodExpression: the back-off's length changes only when the retry comes, not what it does.
    await sleep(Math.random() * Math.min(10 * attempt, maxBackOffMillis));
  } while (attempt < maxAttempts && performance.now() - startedAt < budget);
  throw new Error(`Could not apply event ${event.detail.eventId} in ${attempt} attempts over ${budget} ms: too many concurrent updates; retrying later`);
}

/**
 * Writes the marker and history slot of the event a profile names as its last, if the delivery
 * that applied it stopped before it did; nothing for this event itself, or for one whose marker
 * would have expired by now.
 */
async function finishEarlier(
  store: ProfileStore,
  profileId: string,
  last: LastApplied | undefined,
  eventId: string,
  config: ProfileConfig,
  now: number,
): Promise<void> {
  if (last === undefined || last.eventId === eventId) return;
  const terms = appliedTerms(last.entry.detailType, config);
  if (!terms.permanent && now - last.appliedAt >= appliedEventRetentionSeconds * 1000) return;
  // Stryker disable next-line ObjectLiteral,BooleanLiteral: DynamoDB Local reads are always consistent; in AWS the flag is what halves the read's price.
  if ((await store.appliedMarker(last.eventId, { consistent: false })) === undefined) await store.finishApplied(profileId, last, terms);
}

const appliedTerms = (detailType: string, config: ProfileConfig): AppliedTerms => ({
  permanent: permanentFacts.has(detailType),
  slots: config.history.maxEvents,
  retentionSeconds: config.history.maxAgeDays * 24 * 3600,
});

/** Whether a delivery of an applied event is the one to announce it: the one that applied it, or any once that one is long gone. */
const ownsAnnouncement = (appliedBy: string | undefined, appliedAt: number, deliveryId: string, now: number) =>
  appliedBy === undefined || appliedBy === deliveryId || now - appliedAt > publishLeaseMillis;

/** This event is applied to the profile but its marker is not written: its delivery is still at it, or stopped. */
async function finishOwn(
  store: ProfileStore,
  stored: StoredProfile,
  last: LastApplied,
  config: ProfileConfig,
  deliveryId: string,
  now: number,
): Promise<UpdateOutcome> {
  if (!ownsAnnouncement(last.appliedBy, last.appliedAt, deliveryId, now)) return { kind: 'duplicate' };
  const terms = appliedTerms(last.entry.detailType, config);
  await store.writeHistory(stored.profile.profileId, last, terms);
  // The profile names this event as its last, so it is the profile just after it.
  return { kind: 'duplicate', unfinished: { profile: stored.profile, version: stored.version, changed: last.changed }, unmarked: { applied: last, terms } };
}

async function duplicateOf(
  store: ProfileStore,
  marker: AppliedMarker | undefined,
  profileId: string | undefined,
  deliveryId: string,
  now: number,
): Promise<UpdateOutcome> {
  if (marker === undefined || marker.published || profileId === undefined) return { kind: 'duplicate' };
  if (!ownsAnnouncement(marker.appliedBy, marker.appliedAt, deliveryId, now)) return { kind: 'duplicate' };
  // Read again: the profile read before this attempt's write may be from before the event.
  const current = await store.resolve(profileId);
  return current === undefined
    ? { kind: 'duplicate' }
    : { kind: 'duplicate', unfinished: { profile: current.profile, version: current.version, changed: marker.changed } };
}

/**
 * Once an outcome's announcements are out: the event's marker written, if it waited for them,
 * marked announced; else the marker there marked announced, but for browsing (a second write).
 */
export async function recordAnnounced(store: ProfileStore, outcome: UpdateOutcome, detailType: string, eventId: string): Promise<void> {
  // Nothing was announced: nothing to record (and no marker to make up).
  if (outcome.kind === 'unattached' || (outcome.kind === 'duplicate' && outcome.unfinished === undefined)) return;
  // Written now anyway: marked announced in the same write, browsing facts too.
  if (outcome.unmarked !== undefined) await store.markApplied(outcome.unmarked.applied, outcome.unmarked.terms, true);
  else if (marksPublished(detailType)) await store.markPublished(eventId);
}

/**
 * What an outcome announces, in order: the merge (so measurement moves the merged people's counts
 * first), then the profile as it is after the event. Nothing for a duplicate already announced or
 * an event that names no known person.
 */
export function announcements(
  outcome: UpdateOutcome,
  trigger: { readonly source: string; readonly detailType: string; readonly detail: CustomerEvent['detail'] },
): Publication[] {
  if (outcome.kind === 'unattached' || (outcome.kind === 'duplicate' && outcome.unfinished === undefined)) return [];
  const { profile, version, changed } = outcome.kind === 'applied' ? outcome : (outcome.unfinished as NonNullable<typeof outcome.unfinished>);
  const merge: Publication[] =
    outcome.kind === 'applied' && outcome.merged.length > 0
      ? [{ contract: Events.ProfileMerged, detail: { profileId: profile.profileId, mergedProfileIds: [...outcome.merged], eventId: trigger.detail.eventId } }]
      : [];
  return [
    ...merge,
    {
      contract: Events.ProfileUpdated,
      detail: {
        profileId: profile.profileId,
        version,
        changed: [...changed],
        segments: outcome.kind === 'applied' ? { entered: [...outcome.segments.entered], left: [...outcome.segments.left] } : { entered: [], left: [] },
        profile,
        trigger: { source: trigger.source, 'detail-type': trigger.detailType, detail: trigger.detail },
      },
    },
  ];
}
