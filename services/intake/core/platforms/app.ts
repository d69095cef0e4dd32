import { z } from 'zod';
import * as Events from '#shared/events/index.js';
import { ownValue } from '#shared/lookup.js';
import { identityOf } from '../identity.js';
import { parseJson } from '../json.js';
import { accept, type Decision, type Delivery, headerOf, malformedJson, refuse, type WebhookRequest } from '../request.js';
import { signatureToleranceSeconds, verifyAppSignature } from '../signatures.js';
import { toUtcInstant } from '../time.js';
import { canonicalEventId, checked, describeIssue, type Normalised, type WebhookSecrets } from './common.js';

/** A batch from an app holds at most this many events (a phone flushes far fewer). */
export const maxAppBatch = 500;

const Person = {
  /** Unique per event and kept across the app's retries, so a retry is recorded once. */
  messageId: z.string().min(1).max(200),
  timestamp: z.string().optional(),
  userId: z.string().min(1).optional(),
  anonymousId: z.string().min(1).optional(),
  email: z.string().optional(),
};

/** What a shop's app or an in-store beacon reports: the input of place triggers. */
export const AppEvent = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('location.reported'),
    ...Person,
    latitude: z.number().min(-90).max(90),
    longitude: z.number().min(-180).max(180),
    /** Radius of uncertainty in metres, as the phone reports it. */
    accuracy: z.number().nonnegative().optional(),
  }),
  z.object({
    type: z.literal('store.visited'),
    ...Person,
    storeId: z.string().min(1),
  }),
]);
export type AppEvent = z.infer<typeof AppEvent>;

export function normaliseAppEvent(raw: unknown, app: string, receivedAt: number): Normalised {
  const parsed = AppEvent.safeParse(raw);
  if (!parsed.success) return { kind: 'invalid', issues: parsed.error.issues };
  const event = parsed.data;
  const identity = identityOf({ email: event.email, userId: event.userId, anonymousId: event.anonymousId });
  if (Object.keys(identity).length === 0)
    return { kind: 'invalid', issues: [{ path: ['userId'], message: 'userId, anonymousId or a valid email is required' }] };
  const occurredAt = event.timestamp === undefined ? new Date(receivedAt).toISOString() : toUtcInstant(event.timestamp);
  if (occurredAt === undefined) return { kind: 'invalid', issues: [{ path: ['timestamp'], message: 'not a timestamp' }] };
  const base = {
    eventId: canonicalEventId('app', app, event.messageId),
    occurredAt,
    receivedAt: new Date(receivedAt).toISOString(),
    origin: { platform: 'app' as const, shop: app, topic: event.type },
    identity,
    traits: {},
  };
  if (event.type === 'store.visited') return checked(Events.StoreVisited, { ...base, properties: { storeId: event.storeId } });
  return checked(Events.LocationReported, { ...base, properties: { latitude: event.latitude, longitude: event.longitude, accuracyMeters: event.accuracy } });
}

export function receiveApp(request: WebhookRequest, secrets: WebhookSecrets, now: number): Decision {
  const app = headerOf(request, 'x-nudge-app');
  const secret = ownValue(secrets.app, app);
  if (app === undefined || secret === undefined)
    return refuse(401, 'unknown-app', `No signing secret is configured for app ${app ?? '(no X-Nudge-App header)'}`);
  const verdict = verifyAppSignature(headerOf(request, 'x-nudge-signature'), request.body, secret, now);
  if (verdict === 'invalid')
    return refuse(401, 'invalid-signature', 'X-Nudge-Signature does not match the body (t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">)');
  if (verdict === 'stale') return refuse(401, 'stale-signature', `The X-Nudge-Signature timestamp is more than ${signatureToleranceSeconds} s away from now`);
  const json = parseJson(request.body);
  if (!json.ok) return malformedJson(json.error);
  const body = json.value as { batch?: unknown } | null;
  const isBatch = typeof body === 'object' && body !== null && 'batch' in body;
  if (isBatch && (!Array.isArray(body.batch) || body.batch.length === 0 || body.batch.length > maxAppBatch)) {
    return refuse(400, 'invalid-payload', `batch: expected 1 to ${maxAppBatch} events`, { field: 'batch' });
  }
  const events: unknown[] = isBatch ? (body.batch as unknown[]) : [json.value];
  const deliveries: Delivery[] = [];
  for (const [index, raw] of events.entries()) {
    const normalised = normaliseAppEvent(raw, app, now);
    // The app signed the whole request, so one bad event means a bug in the app: refuse it all.
    if (normalised.kind === 'invalid') {
      const { field, message } = describeIssue(normalised.issues);
      return refuse(400, 'invalid-payload', isBatch ? `batch.${index}.${message}` : message, { field: isBatch ? `batch.${index}.${field}` : field });
    }
    if (normalised.kind === 'events') deliveries.push({ id: `app:${app}:${(raw as { messageId: string }).messageId}`, publications: normalised.publications });
  }
  return accept(deliveries);
}
