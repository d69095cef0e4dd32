import { createHash } from 'node:crypto';
import { DateTime } from 'luxon';

/**
 * What Nudge decided about one person, in the order it decided: the rules service (a rule fired,
 * held back, is waiting, was called off, or the person did not qualify) and dispatch (a message
 * sent, suppressed, deferred, failed). Kept in the person's partition for a month, so
 * `nudge why <person>` can say, in words, why a message went or did not.
 */
export type DecisionKind = 'fired' | 'held' | 'waiting' | 'cancelled' | 'not-qualified' | 'sent' | 'suppressed' | 'deferred' | 'failed';

export interface Decision {
  readonly profileId: string;
  readonly ruleId: string;
  readonly kind: DecisionKind;
  /** Epoch milliseconds: when it was decided (the runtime's clock, or the timer's due time). */
  readonly at: number;
  /**
   * Why, as a code: held by `cooldown`, `once` or `exclusive`; not qualified by `conditions` or
   * `inactive`; waiting for a `timer` (a delay, a date, a dwell) or the `send-window`; suppressed for the gate's reason
   * (`unsubscribed`, `frequency-cap`, …); deferred for `quiet-hours`; failed with its error code.
   */
  readonly reason?: string;
  /** Epoch milliseconds: until when it waits, holds or is deferred. */
  readonly until?: number;
  readonly messageId?: string;
  /** The trigger instance (a checkout, an entry into a geofence) a timer or decision stands for. */
  readonly instanceId?: string;
  /** Words that say more: the conditions not met, the event that called a wait off, the group. */
  readonly details?: readonly string[];
}

const dispatchKinds: ReadonlySet<DecisionKind> = new Set(['sent', 'suppressed', 'deferred', 'failed']);

/** Oldest first; at the same instant, what the rules decided before what dispatch made of it. */
export const inTrailOrder = (a: Decision, b: Decision) => a.at - b.at || Number(dispatchKinds.has(a.kind)) - Number(dispatchKinds.has(b.kind));

/** One decision among others: by rule, kind and message or instance. */
const identityOf = (decision: Decision) => `${decision.at}|${decision.ruleId}|${decision.kind}|${decision.messageId ?? decision.instanceId ?? ''}`;

/** The same decisions once each (an evaluation decided again after a lost race repeats some). */
export function distinctDecisions(decisions: readonly Decision[]): Decision[] {
  return [...new Map(decisions.map((decision) => [identityOf(decision), decision])).values()];
}

/**
 * What one evaluation decided about each person, as one entry of their trail: sorted by the time
 * of its first decision, named by a hash of what it holds, so a retried evaluation writes the
 * same entry again and two evaluations at the same instant do not overwrite each other.
 */
export function trailEntries(decisions: readonly Decision[]): { readonly profileId: string; readonly sortKey: string; readonly decisions: Decision[] }[] {
  const byPerson = new Map<string, Decision[]>();
  for (const decision of distinctDecisions(decisions)) byPerson.set(decision.profileId, [...(byPerson.get(decision.profileId) ?? []), decision]);
  return [...byPerson].map(([profileId, held]) => {
    const first = Math.min(...held.map((decision) => decision.at));
    const digest = createHash('sha256').update(held.map(identityOf).sort().join('\n')).digest('hex').slice(0, 16);
    return { profileId, sortKey: `${new Date(first).toISOString()}#${digest}`, decisions: held };
  });
}

const reasons: Readonly<Record<string, string>> = {
  cooldown: 'held by the rule’s cooldown',
  once: 'held: the rule sends a person its message once, and this person had it',
  exclusive: 'held: another message of its exclusive group goes instead, or went lately',
  conditions: 'the person did not meet the rule’s conditions',
  inactive: 'the rule was not active then (outside its start and end)',
  timer: 'waiting for its time',
  'send-window': 'waiting for the rule’s send window to open',
  'quiet-hours': 'deferred by quiet hours',
  'no-address': 'suppressed: the person has no address for the channel',
  suppressed: 'suppressed: the address bounced, complained or was erased',
  unsubscribed: 'suppressed: the person unsubscribed',
  'no-consent': 'suppressed: no consent for the channel',
  holdout: 'kept back: the person is in the rule’s holdout group, to measure what the message earns',
  'frequency-cap': 'suppressed by the frequency caps (messages a day or week)',
};

/** One decision in words, with times in the person's time zone. */
export function explainDecision(decision: Decision, timeZone: string): string {
  const at = (millis: number) => localTime(millis, timeZone);
  const reason = decision.reason === undefined ? undefined : Object.hasOwn(reasons, decision.reason) ? reasons[decision.reason] : undefined;
  const more = decision.details !== undefined && decision.details.length > 0 ? ` (${decision.details.join('; ')})` : '';
  const until = decision.until === undefined ? '' : ` until ${at(decision.until)}`;
  switch (decision.kind) {
    case 'fired':
      return `fired: asked for message ${decision.messageId ?? ''}${more}`;
    case 'held':
      return `${reason ?? `held (${decision.reason ?? 'no reason'})`}${until}${more}`;
    case 'waiting':
      return `${reason ?? 'waiting'}: due ${decision.until === undefined ? 'later' : at(decision.until)}${more}`;
    case 'cancelled':
      return `called off before it was due${more}`;
    case 'not-qualified':
      return `${reason ?? 'did not qualify'}${more}`;
    case 'sent':
      return `sent message ${decision.messageId ?? ''}${more}`;
    case 'suppressed':
      return `${reason ?? `suppressed (${decision.reason ?? 'no reason'})`}${more}`;
    case 'deferred':
      return `${reason ?? 'deferred'}${until}${more}`;
    case 'failed':
      return `failed: ${decision.reason ?? 'no reason'}${more}`;
  }
}

/** `2026-11-28 09:00 Europe/Rome`: a time as the person lives it. */
export function localTime(millis: number, timeZone: string): string {
  return `${DateTime.fromMillis(millis, { zone: timeZone }).toFormat('yyyy-LL-dd HH:mm')} ${timeZone}`;
}
