import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Publication } from '#shared/adapters/bus-publisher.js';
import { busLimitProblem } from '#shared/bus-limits.js';
import { checkDetail, stampBytes } from '#shared/events/bus-detail.js';
import type { Money } from '#shared/events/common.js';
import type { Contract } from '#shared/events/index.js';
import { ownHostValue, ownValue } from '#shared/lookup.js';
import { decimalFromNumber } from '#shared/money.js';
import { accept, type Decision, ignore, refuse } from '../request.js';
import { strictBase64 } from '../signatures.js';

/** Signing secrets and keys per platform; per shop or store where the platform has several, with "*" as the default. */
export const WebhookSecrets = z.object({
  shopify: z.record(z.string(), z.string().min(1)).optional(),
  woocommerce: z.record(z.string(), z.string().min(1)).optional(),
  bigcommerce: z
    .record(
      z.string(),
      z
        .string()
        .min(1)
        .refine(
          (secret) => !secret.startsWith('whsec_') || strictBase64(secret.slice('whsec_'.length)) !== undefined,
          'a whsec_ secret is base64 after whsec_',
        ),
    )
    .optional(),
  stripe: z.record(z.string(), z.string().min(1)).optional(),
  /** Segment write keys, each naming the source it stands for: {"<write key>": "my-shop"}. */
  segment: z.record(z.string(), z.string().min(1)).optional(),
  /** Shop apps and in-store beacons: {"<app id>": "<signing secret>"}. */
  app: z.record(z.string(), z.string().min(1)).optional(),
});
export type WebhookSecrets = z.infer<typeof WebhookSecrets>;

/** A platform amount (a decimal string or a JSON number) as canonical money, or nothing if it is not one. */
export function moneyOf(amount: unknown, currency: string | null | undefined): Money | undefined {
  const decimal = decimalFromNumber(amount);
  return decimal === undefined || !currency ? undefined : { amount: decimal, currency };
}

export function secretFor(perShop: Record<string, string> | undefined, shop: string | undefined): string | undefined {
  return ownHostValue(perShop, shop) ?? ownValue(perShop, '*');
}

/**
 * The canonical id of an event: a hash of the platform, the shop and the platform's own ids, so
 * the same delivery (or the same fact told twice) always yields the same id.
 */
export function canonicalEventId(platform: string, shop: string, id: string): string {
  return `ev_${createHash('sha256').update(`${platform}|${shop}|${id}`).digest('hex').slice(0, 32)}`;
}

export interface Issue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

export type Normalised =
  | { readonly kind: 'events'; readonly publications: readonly Publication[] }
  | { readonly kind: 'ignored'; readonly reason: string }
  | { readonly kind: 'invalid'; readonly issues: readonly Issue[] };

/** Checks a canonical event against its contract; a platform payload that cannot make one is invalid. */
export function checked(contract: Contract, detail: unknown, detailType?: string): Normalised {
  const result = checkDetail(contract, detail);
  const name = detailType ?? contract.detailType;
  if (!result.success) return { kind: 'invalid', issues: result.error.issues.map((issue) => ({ path: issue.path, message: `${name}: ${issue.message}` })) };
  // Checked here, where the message can still be named: the bus would refuse it, for every retry.
  // Measured as it will go: with the contract's version stamped on it (`,"contractVersion":1`).
  const problem = busLimitProblem(contract.source, name, result.data, stampBytes(contract.version));
  if (problem !== undefined) return { kind: 'invalid', issues: [{ path: [], message: problem }] };
  return { kind: 'events', publications: [{ contract, detail: result.data, ...(detailType === undefined ? {} : { detailType }) }] };
}

/** A platform payload that does not have the shape Nudge reads: the zod issues, as values. */
export const invalid = (issues: readonly Issue[]): Normalised => ({ kind: 'invalid', issues });

/** The first issue, as the field it is about and a message naming it. */
export function describeIssue(issues: readonly Issue[]): { field: string; message: string } {
  const [issue] = issues;
  const field = issue?.path.map(String).join('.') ?? '';
  return { field, message: `${field || 'body'}: ${issue?.message ?? 'invalid'}` };
}

export function combine(results: readonly Normalised[]): Normalised {
  const invalid = results.find((result) => result.kind === 'invalid');
  if (invalid) return invalid;
  const publications = results.flatMap((result) => (result.kind === 'events' ? result.publications : []));
  if (publications.length > 0) return { kind: 'events', publications };
  return results[0] ?? { kind: 'ignored', reason: 'nothing to record' };
}

/** A delivery id from the canonical event ids a payload makes: the same payload always makes the same one. */
export function payloadDeliveryId(publications: readonly Publication[]): string {
  const eventIds = publications.map((publication) => (publication.detail as { eventId: string }).eventId).sort();
  return `events:${createHash('sha256').update(eventIds.join(',')).digest('hex').slice(0, 40)}`;
}

/** Turns a normalised delivery into the answer: accepted with its events, ignored, or a 400 naming the field. */
export function decideNormalised(normalised: Normalised, deliveryId: string | undefined): Decision {
  switch (normalised.kind) {
    case 'ignored':
      return ignore(normalised.reason);
    case 'invalid': {
      const { field, message } = describeIssue(normalised.issues);
      return refuse(400, 'invalid-payload', message, { field });
    }
    case 'events':
      // Without a platform delivery id (a Shopify post with no id headers), the payload's own ids,
      // which the event ids are made of (order id and topic, updated_at …), identify the delivery.
      return accept([{ id: deliveryId ?? payloadDeliveryId(normalised.publications), publications: normalised.publications }]);
  }
}
