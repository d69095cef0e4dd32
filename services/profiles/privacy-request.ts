import type { PrivacyRequested } from '#shared/events/privacy-requested.js';
import type { PrivacyRecords } from './adapters/privacy-records.js';
import type { ProfileExport, ProfilePrivacy } from './adapters/profile-privacy.js';
import { identityKeys } from './core/apply-event.js';

export interface PrivacyPorts {
  readonly privacy: Pick<ProfilePrivacy, 'export' | 'erase' | 'profilesOfShop'>;
  readonly records: Pick<PrivacyRecords, 'record'>;
}

/** What one delivery of a request did: the profiles it found or erased. */
export interface PrivacyOutcome {
  readonly profiles: number;
}

/**
 * A data-subject request a shop passed on, carried out and recorded for the shop:
 * - `export`: everything Nudge holds on the person, as `nudge profile export` writes it, kept 30
 *   days for the shop to hand over (`nudge privacy requests --out`);
 * - `erase`: the person erased as `nudge profile erase` does (their addresses stay suppressed, as
 *   hashes), by every key the shop names them with;
 * - `erase-shop`: every profile whose latest event came from the shop.
 * Erasing again finds nothing more, so a redelivered request is harmless.
 */
export async function carryOutPrivacyRequest(request: PrivacyRequested, ports: PrivacyPorts, now: number): Promise<PrivacyOutcome> {
  const exports: ProfileExport[] = [];
  let profiles = 0;
  const keys = identityKeys(request.person);
  switch (request.request) {
    case 'export': {
      const found = new Set<string>();
      for (const key of keys) {
        const exported = await ports.privacy.export(key, now);
        if (exported === undefined || found.has(exported.profileId)) continue;
        found.add(exported.profileId);
        exports.push(exported);
      }
      profiles = exports.length;
      break;
    }
    case 'erase':
      for (const key of keys) if ((await ports.privacy.erase(key, now)) !== undefined) profiles++;
      break;
    case 'erase-shop':
      for await (const profileId of ports.privacy.profilesOfShop(request.origin.shop))
        if ((await ports.privacy.erase({ profileId }, now)) !== undefined) profiles++;
      break;
  }
  await ports.records.record(
    {
      shop: request.origin.shop,
      // When the shop asked (the platform’s time, the same on its retries), so a retried request is one record.
      requestKey: `${request.occurredAt}#${request.eventId}`,
      request: request.request,
      ...(request.requestId === undefined ? {} : { requestId: request.requestId }),
      receivedAt: request.receivedAt,
      doneAt: new Date(now).toISOString(),
      profiles,
      ...(request.request === 'export' ? { exported: { requestId: request.requestId, orders: request.orders, profiles: exports } } : {}),
    },
    now,
  );
  return { profiles };
}
