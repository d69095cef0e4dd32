import { randomUUID } from 'node:crypto';
import { InvalidEventError } from '../../shared/events/bus-event.js';
import type { Profile } from '../../shared/events/profile.js';
import type { ProfileStore } from './adapters/profile-store.js';
import { applyEvent, type CustomerEvent, changedFields, emptyProfile, identityKeys, identityKeyText } from './core/apply-event.js';

export type UpdateOutcome =
  | { readonly kind: 'applied'; readonly profile: Profile; readonly changed: readonly string[] }
  /** Seen before; `published` says whether its profile.updated already went out. */
  | { readonly kind: 'duplicate'; readonly profile: Profile; readonly changed: readonly string[]; readonly published: boolean };

/** Optimistic concurrency: a handful of retries absorbs bursts of events for one person. */
const maxAttempts = 8;

/** Finds or creates the profile for an event and applies the event once, whatever the concurrency. */
export async function updateProfile(store: ProfileStore, event: CustomerEvent, now: Date, newProfileId: () => string = randomUUID): Promise<UpdateOutcome> {
  const keys = identityKeys(event.detail.identity);
  if (keys.length === 0) throw new InvalidEventError(`Event ${event.detail.eventId} has no usable identity key`);
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const known = await store.findProfileIds(keys);
    // The most trustworthy key that is already known decides the profile; merging two known
    // profiles comes with identity resolution.
    const existingId = keys.map((key) => known.get(identityKeyText(key))).find((id) => id !== undefined);
    const stored = existingId === undefined ? undefined : await store.load(existingId);
    const before = stored?.profile ?? emptyProfile(existingId ?? newProfileId(), event.detail.occurredAt);
    const { profile, changed } = applyEvent(before, event);
    const reportedChanges = stored === undefined ? changedFields(undefined, profile) : changed;
    const outcome = await store.save({
      profile,
      expectedVersion: stored?.version,
      newAliases: keys.filter((key) => !known.has(identityKeyText(key))),
      eventId: event.detail.eventId,
      changed: reportedChanges,
      now,
    });
    if (outcome === 'saved') return { kind: 'applied', profile, changed: reportedChanges };
    if (outcome === 'duplicate') {
      const marker = await store.appliedMarker(before.profileId, event.detail.eventId);
      return { kind: 'duplicate', profile: before, changed: marker?.changed ?? [], published: marker?.published ?? true };
    }
  }
  throw new Error(`Could not apply event ${event.detail.eventId} after ${maxAttempts} attempts: too many concurrent updates`);
}
