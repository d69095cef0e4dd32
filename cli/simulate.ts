import { type DispatchPolicy, gate } from '#services/dispatch/core/gate.js';
import { applyEvent, changedFields, emptyProfile, primaryIdentityKey } from '#services/profiles/core/apply-event.js';
import type { ProfileConfig } from '#services/profiles/core/config.js';
import { segmentChanges } from '#services/profiles/core/derive.js';
import type { Geofence } from '#services/rules/core/geofence.js';
import type { CompiledRule, Rule } from '#services/rules/core/rule.js';
import { type Evaluation, RuleEngine } from '#services/rules/engine.js';
import { nextRunOf } from '#services/rules/kinds/time.js';
import { type Decision, localTime } from '#shared/decisions.js';
import { customerEvents, findContract } from '#shared/events/index.js';
import type { MessageRequested } from '#shared/events/message-requested.js';
import type { Profile } from '#shared/events/profile.js';
import type { ProfileUpdated } from '#shared/events/profile-updated.js';
import { MemoryFirings, MemoryProfiles, MemoryTimers, MemoryTriggerStates } from './simulator-ports.js';

export interface SimulatedMessage {
  readonly at: string;
  /** The same time on the person's clock, when their time zone is known. */
  readonly local: string | undefined;
  readonly ruleId: string;
  readonly profileId: string;
  readonly email: string | undefined;
  readonly messageId: string;
  readonly trigger: string;
  /** What the send gate would do with it (with `policy`): send it, hold it until a time, or not send it and why. */
  readonly gate?: { readonly outcome: 'send' | 'defer' | 'suppress'; readonly reason?: string; readonly until?: string };
}

export interface HeldBack {
  readonly at: string;
  readonly ruleId: string;
  readonly profileId: string;
  readonly email?: string | undefined;
  readonly reason: string;
}

export interface SimulationReport {
  readonly messages: SimulatedMessage[];
  readonly heldBack: HeldBack[];
  /** Every decision of the rules, as the service keeps them for `nudge why`. */
  readonly decisions: Decision[];
  /** Lines that were not customer events (derived events in a bus log) or could not be read. */
  readonly skipped: { line: number; reason: string }[];
  readonly customerEvents: number;
  readonly duplicates: number;
  readonly profiles: number;
}

interface Line {
  source?: unknown;
  'detail-type'?: unknown;
  detail?: unknown;
  time?: unknown;
}

/** How long after the last event the simulation keeps the clock running, so pending timers fall due. */
export const defaultHorizonMillis = 90 * 86_400_000;

/**
 * Replays canonical events (one JSON object a line, as on the bus, such as the local runtime's
 * `.local/bus.ndjson`) through the real profile and rule code, on a virtual clock that follows the
 * events, and reports who would have been messaged and when. Timers (sequence deadlines, delays,
 * dwell, birthdays, send windows, recurring rules) fall due on the same clock, between events and
 * for `horizonMillis` after the last one. Nothing is sent or stored.
 */
export async function simulate(
  rules: readonly CompiledRule[],
  ndjson: string,
  config: ProfileConfig,
  seedProfiles: readonly Profile[] = [],
  options: { readonly geofences?: ReadonlyMap<string, Geofence>; readonly horizonMillis?: number; readonly policy?: DispatchPolicy } = {},
): Promise<SimulationReport> {
  const profiles = new Map<string, Profile>(seedProfiles.map((profile) => [profile.profileId, profile]));
  const profileIdByKey = new Map<string, string>(
    seedProfiles.filter((profile) => profile.email !== undefined).map((profile) => [`email#${profile.email?.toLowerCase()}`, profile.profileId]),
  );
  const timers = new MemoryTimers();
  const engine = new RuleEngine(rules, {
    states: new MemoryTriggerStates(),
    firings: new MemoryFirings(),
    timers,
    profiles: new MemoryProfiles(profiles),
    geofences: options.geofences ?? new Map(),
  });
  const applied = new Set<string>();
  const report = {
    messages: [] as SimulatedMessage[],
    heldBack: [] as HeldBack[],
    decisions: [] as Decision[],
    skipped: [] as SimulationReport['skipped'],
    customerEvents: 0,
    duplicates: 0,
  };
  let clock: number | undefined;
  /** Next run of each recurring rule, once the clock has started. */
  const recurring = new Map<CompiledRule, number>();

  /** What the engine decided (cooldown and re-entry applied, as in the service) goes in the report. */
  const record = (evaluation: Evaluation, at: number, trigger: string) => {
    const time = new Date(at).toISOString();
    report.decisions.push(...evaluation.trail);
    for (const refusal of evaluation.refused) report.heldBack.push({ at: time, ...refusal, email: profiles.get(refusal.profileId)?.email });
    for (const request of evaluation.requests) {
      const person = profiles.get(request.profileId);
      report.messages.push({
        at: time,
        local: person?.timeZone === undefined ? undefined : localTime(at, person.timeZone),
        ruleId: request.ruleId,
        profileId: request.profileId,
        email: person?.email,
        messageId: request.messageId,
        trigger,
        ...(options.policy === undefined || person === undefined ? {} : { gate: gated(request, person, at, options.policy) }),
      });
    }
  };

  /** Marketing sends per person, for the gate's caps, as dispatch keeps them. */
  const sentAt = new Map<string, number[]>();
  /** The send gate, as dispatch applies it (no suppression list: the simulation has no bounces). */
  const gated = (request: MessageRequested, person: Profile, at: number, policy: DispatchPolicy): NonNullable<SimulatedMessage['gate']> => {
    const decision = gate(request, person, false, { marketingSentAt: sentAt.get(person.profileId) ?? [] }, policy, at);
    if (decision.kind === 'suppress') return { outcome: 'suppress', reason: decision.reason };
    const sendsAt = decision.kind === 'defer' ? decision.until : at;
    if (request.purpose !== 'transactional') sentAt.set(person.profileId, [...(sentAt.get(person.profileId) ?? []), sendsAt]);
    return decision.kind === 'defer' ? { outcome: 'defer', reason: decision.reason, until: new Date(decision.until).toISOString() } : { outcome: 'send' };
  };

  /** Lets every timer and recurring run due by `until` fire, in time order. */
  const runClockTo = async (until: number) => {
    for (;;) {
      const nextTimer = timers.next();
      const nextRecurring = [...recurring.values()].reduce<number | undefined>(
        (earliest, at) => (earliest === undefined || at < earliest ? at : earliest),
        undefined,
      );
      const next = Math.min(nextTimer ?? Number.POSITIVE_INFINITY, nextRecurring ?? Number.POSITIVE_INFINITY);
      if (next > until) return;
      if (nextTimer === next) {
        // Every timer due at that instant (two people's reminders often fall due together), in order.
        for (const timer of timers.takeDue(next)) {
          const dueAt = new Date(timer.dueAt).toISOString();
          record(await engine.onTimer({ kind: 'once', ...timer, dueAt }), timer.dueAt, `timer ${timer.stateKey || 'person'} ${timer.instanceId}`);
        }
        continue;
      }
      for (const [rule, at] of recurring) {
        if (at !== next) continue;
        const scheduledAt = new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
        record(await engine.onTimer({ kind: 'recurring', ruleId: rule.rule.id, dueAt: scheduledAt }), at, `schedule ${scheduledAt}`);
        const schedule = rule.trigger.schedule;
        const following = schedule === undefined ? undefined : nextRunOf(schedule, at);
        if (following === undefined) recurring.delete(rule);
        else recurring.set(rule, following);
      }
    }
  };

  const lines = ndjson.split('\n');
  for (const [index_, text] of lines.entries()) {
    const lineNumber = index_ + 1;
    if (text.trim() === '') continue;
    let line: Line;
    try {
      line = JSON.parse(text) as Line;
    } catch (error) {
      report.skipped.push({ line: lineNumber, reason: `not JSON: ${(error as Error).message}` });
      continue;
    }
    const contract = findContract(customerEvents, line.source, line['detail-type']);
    if (contract === undefined) {
      report.skipped.push({ line: lineNumber, reason: `not a customer event: ${String(line.source)} ${String(line['detail-type'])}` });
      continue;
    }
    const detailType = String(line['detail-type']);
    const parsed = contract.schema.safeParse(line.detail);
    if (!parsed.success) {
      const [issue] = parsed.error.issues;
      report.skipped.push({ line: lineNumber, reason: `invalid ${detailType} at detail.${issue?.path.join('.')}: ${issue?.message}` });
      continue;
    }
    const detail = parsed.data;
    report.customerEvents++;
    // The clock follows the stream and never goes back, as time does for the real services.
    const receivedAt = Date.parse(detail.receivedAt);
    if (clock === undefined) {
      for (const rule of rules) {
        const schedule = rule.trigger.schedule;
        if (!rule.rule.enabled || schedule === undefined) continue;
        const first = nextRunOf(schedule, receivedAt);
        if (first !== undefined) recurring.set(rule, first);
      }
    }
    clock = Math.max(clock ?? receivedAt, receivedAt);
    await runClockTo(clock);
    const key = primaryIdentityKey(detail.identity);
    if (key === undefined) continue;
    const keyText = `${key.kind}#${key.value}`;
    const profileId = profileIdByKey.get(keyText) ?? `sim-${profileIdByKey.size + 1}`;
    profileIdByKey.set(keyText, profileId);
    if (applied.has(`${profileId}|${detail.eventId}`)) {
      report.duplicates++;
      continue;
    }
    applied.add(`${profileId}|${detail.eventId}`);
    const before = profiles.get(profileId);
    const { profile, changed } = applyEvent(before ?? emptyProfile(profileId, detail.occurredAt), { detailType, detail }, config);
    profiles.set(profileId, profile);
    const update: ProfileUpdated = {
      profileId,
      changed: before === undefined ? changedFields(undefined, profile) : [...changed],
      segments: segmentChanges(before, profile),
      profile,
      trigger: { source: contract.source, 'detail-type': detailType, detail },
    };
    record(await engine.onProfileUpdated(update, clock), clock, `${detailType} ${detail.eventId}`);
  }
  if (clock !== undefined) await runClockTo(clock + (options.horizonMillis ?? defaultHorizonMillis));
  report.messages.sort((a, b) => a.at.localeCompare(b.at));
  return { ...report, profiles: profiles.size };
}

/** What the gate did, in words: reasons as the dispatch service names them, said for a person. */
const gateWords: Readonly<Record<string, string>> = {
  'no-address': 'not sent: no address for the channel',
  suppressed: 'not sent: the address bounced, complained or was erased',
  unsubscribed: 'not sent: unsubscribed from the channel',
  'no-consent': 'not sent: never agreed to marketing on the channel (the policy asks for an opt-in)',
  holdout: "not sent: in the rule's holdout group (kept out to measure what the messages earn)",
  'frequency-cap': 'not sent: already got as many marketing messages as the caps allow',
};

function gateText(decision: SimulatedMessage['gate']): string {
  if (decision === undefined || decision.outcome === 'send') return '';
  if (decision.outcome === 'defer') return `  → waits for the end of quiet hours, ${decision.until}`;
  return `  → ${gateWords[decision.reason ?? ''] ?? `not sent: ${decision.reason}`}`;
}

export function formatReport(report: SimulationReport, rules: readonly CompiledRule[]): string {
  const heldBecause = (reason: string, rule: Rule) =>
    reason === 'exclusive'
      ? `another rule of the group "${rule.exclusive?.group}" sends this person one message (priority ${rule.exclusive?.priority})`
      : reason;
  const lines = [
    `${report.customerEvents} customer events (${report.duplicates} duplicates), ${report.profiles} profiles, ${report.skipped.length} other lines skipped.`,
    '',
  ];
  for (const { rule } of rules) {
    const messages = report.messages.filter((message) => message.ruleId === rule.id);
    const held = report.heldBack.filter((entry) => entry.ruleId === rule.id);
    lines.push(
      `${rule.id} (${rule.name})${rule.enabled ? '' : ' [disabled]'}: ${messages.length} message${messages.length === 1 ? '' : 's'}${held.length ? `, ${held.length} held back` : ''}`,
    );
    for (const message of messages)
      lines.push(
        `  ${message.at}${message.local ? ` (${message.local})` : ''}  ${message.email ?? message.profileId}  after ${message.trigger}${gateText(message.gate)}`,
      );
    for (const entry of held) lines.push(`  ${entry.at}  ${entry.email ?? entry.profileId}  held back: ${heldBecause(entry.reason, rule)}`);
  }
  const unreadable = report.skipped.filter((entry) => !entry.reason.startsWith('not a customer event'));
  if (unreadable.length > 0) {
    lines.push('', 'Lines that could not be read:');
    for (const entry of unreadable) lines.push(`  line ${entry.line}: ${entry.reason}`);
  }
  return lines.join('\n');
}
