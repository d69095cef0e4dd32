import { createHash } from 'node:crypto';
import { z } from 'zod';
import { nextOpening } from '#shared/calendar.js';
import type { MessageRequested } from '#shared/events/message-requested.js';
import type { SuppressionReason } from '#shared/events/message-suppressed.js';
import type { Profile } from '#shared/events/profile.js';

const LocalTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a local time such as "21:00"');

/** `config/dispatch.json`: what every marketing message must pass, whatever rule asked for it. */
export const DispatchPolicy = z
  .object({
    $schema: z.string().optional(),
    consent: z
      .object({
        email: z
          .enum(['subscribed', 'not-unsubscribed'])
          .meta({ description: '"subscribed": only people who opted in (GDPR); "not-unsubscribed": everyone who has not opted out (CAN-SPAM).' }),
        sms: z
          .enum(['subscribed', 'not-unsubscribed'])
          .default('subscribed')
          .meta({ description: 'Marketing texts need an opt-in in most countries (TCPA, GDPR): "subscribed" by default.' }),
      })
      .strict(),
    caps: z
      .object({ perDay: z.number().int().positive(), perWeek: z.number().int().positive() })
      .strict()
      .meta({ description: 'Most marketing messages one person gets across all rules, per rolling 24 hours and 7 days.' }),
    quietHours: z
      .object({ from: LocalTime, to: LocalTime })
      .strict()
      .optional()
      .meta({ description: 'No marketing message between these local times; one due then waits for the end.' }),
    defaultTimeZone: z.string().default('UTC'),
    sms: z
      .object({ originationIdentity: z.string().min(1).optional(), configurationSet: z.string().min(1).optional() })
      .strict()
      .default({})
      .meta({ description: 'AWS End User Messaging: the phone number, sender id or pool texts come from.' }),
    webhooks: z
      .record(z.string().regex(/^[a-z0-9][a-z0-9-]*$/), z.object({ url: z.url() }).strict())
      .default({})
      .meta({ description: 'Endpoints for the webhook channel, by name: each gets a POST signed with the outgoing-webhook key.' }),
  })
  .strict();
export type DispatchPolicy = z.infer<typeof DispatchPolicy>;

/** What has gone to the person lately: marketing sends (epoch ms), for the caps. */
export interface SendHistory {
  readonly marketingSentAt: readonly number[];
}

export type GateDecision =
  | { readonly kind: 'send'; readonly to: string }
  | { readonly kind: 'defer'; readonly until: number; readonly reason: 'quiet-hours' }
  | { readonly kind: 'suppress'; readonly reason: SuppressionReason };

const day = 86_400_000;

/** Whether a person is in a rule's holdout group: the same answer for the same rule and person, always. */
export function inHoldout(ruleId: string, profileId: string, percent: number): boolean {
  // Stryker disable next-line EqualityOperator,ConditionalExpression: the `< 0` and never replacements: the bucket is never below 0, so no one is held out at 0% either way; the early return saves the hash.
  if (percent <= 0) return false;
  const bucket = createHash('sha256').update(`${ruleId}|${profileId}`).digest().readUInt32BE(0) / 2 ** 32;
  // Stryker disable next-line EqualityOperator: the `<=` replacement: it differs only for a person whose hash lands exactly on the percentage (one in 2^32, at 25, 50 or 75%).
  return bucket * 100 < percent;
}

/** Whether one more marketing message now would pass a frequency cap, given when the last ones went (epoch ms). */
export function capReached(marketingSentAt: readonly number[], policy: Pick<DispatchPolicy, 'caps'>, now: number): boolean {
  const lastDay = marketingSentAt.filter((at) => now - at < day).length;
  const lastWeek = marketingSentAt.filter((at) => now - at < 7 * day).length;
  return lastDay >= policy.caps.perDay || lastWeek >= policy.caps.perWeek;
}

/**
 * The send gate: one pure decision for every message, from the request, the person as they are
 * now (not as when the rule fired), whether the address is suppressed, what they were sent lately,
 * the policy and the time. Checks run from the hardest "never" down: address, suppression,
 * consent, holdout, caps, and last quiet hours, which defer (never drop).
 */
export function gate(
  request: Pick<MessageRequested, 'channel' | 'ruleId' | 'profileId' | 'purpose' | 'holdoutPercent' | 'webhook'>,
  profile: Profile,
  addressSuppressed: boolean,
  history: SendHistory,
  policy: DispatchPolicy,
  now: number,
): GateDecision {
  const to = request.channel === 'email' ? profile.email : request.channel === 'sms' ? profile.phone : request.webhook;
  if (to === undefined) return { kind: 'suppress', reason: 'no-address' };
  if (addressSuppressed) return { kind: 'suppress', reason: 'suppressed' };
  if (request.purpose === 'transactional') return { kind: 'send', to };
  // A webhook is a task for the shop's own people (a call-centre, a CRM), not a message to the
  // person: their channel consent, caps and quiet hours are for whoever acts on it.
  if (request.channel === 'webhook') {
    return inHoldout(request.ruleId, request.profileId, request.holdoutPercent) ? { kind: 'suppress', reason: 'holdout' } : { kind: 'send', to };
  }
  const consent = profile.consent?.[request.channel]?.state;
  if (consent === 'unsubscribed') return { kind: 'suppress', reason: 'unsubscribed' };
  if (policy.consent[request.channel] === 'subscribed' && consent !== 'subscribed') return { kind: 'suppress', reason: 'no-consent' };
  if (inHoldout(request.ruleId, request.profileId, request.holdoutPercent)) return { kind: 'suppress', reason: 'holdout' };
  if (capReached(history.marketingSentAt, policy, now)) return { kind: 'suppress', reason: 'frequency-cap' };
  if (policy.quietHours !== undefined) {
    // Quiet hours are the complement of a send window from their end to their start.
    const opening = nextOpening({ from: policy.quietHours.to, to: policy.quietHours.from }, profile.timeZone ?? policy.defaultTimeZone, now);
    if (opening > now) return { kind: 'defer', until: opening, reason: 'quiet-hours' };
  }
  return { kind: 'send', to };
}
