import type { ProfileExport } from '#services/profiles/adapters/profile-privacy.js';
import { type Decision, explainDecision, localTime } from '#shared/decisions.js';

export interface WhyOptions {
  /** Only this rule. */
  readonly rule?: string | undefined;
  /** Decisions shown per rule, newest first. */
  readonly perRule: number;
}

/**
 * `nudge why <person>` in words: per rule, what waits for the person now (timers still due) and
 * the latest decisions, newest first, with reasons (fired, waiting and until when, held by
 * cooldown or an exclusive group, the conditions not met, the gate's suppression or deferral),
 * times in the person's own zone; then the rules that decided nothing for them lately.
 */
export function whyReport(exported: ProfileExport, rules: ReadonlyMap<string, string>, options: WhyOptions, now: number): string {
  const { profile } = exported;
  const zone = profile.timeZone ?? 'UTC';
  const who = [profile.firstName, profile.lastName].filter(Boolean).join(' ');
  const lines = [
    `${who === '' ? 'Profile' : who} ${profile.email === undefined ? '' : `<${profile.email}> `}(${profile.profileId}), times in ${zone}${profile.timeZoneSource === undefined ? '' : ` (from the ${profile.timeZoneSource})`}`,
    `Email consent: ${profile.consent?.email === undefined ? 'never asked' : `${profile.consent.email.state} (${profile.consent.email.source}, ${localTime(Date.parse(profile.consent.email.at), zone)})`}`,
  ];
  const waits = new Map<string, string[]>();
  for (const state of exported.triggerStates) {
    for (const dueAt of Object.values(state.timers ?? {})) {
      if (typeof dueAt !== 'number' || dueAt < now) continue;
      const list = waits.get(state.ruleId) ?? [];
      list.push(`waiting: due ${localTime(dueAt, zone)}`);
      waits.set(state.ruleId, list);
    }
  }
  const decided = new Map<string, Decision[]>();
  for (const decision of exported.decisions) {
    const list = decided.get(decision.ruleId) ?? [];
    list.push(decision);
    decided.set(decision.ruleId, list);
  }
  const ruleIds = [...new Set([...waits.keys(), ...decided.keys()])]
    .filter((ruleId) => options.rule === undefined || ruleId === options.rule)
    .sort((a, b) => latest(decided.get(b)) - latest(decided.get(a)) || a.localeCompare(b));
  if (options.rule !== undefined && ruleIds.length === 0)
    lines.push('', `${options.rule}: nothing decided for this person in the last 30 days, and nothing waiting.`);
  for (const ruleId of ruleIds) {
    const name = rules.get(ruleId);
    lines.push('', `${ruleId}${name === undefined ? '' : ` (${name})`}`);
    for (const wait of waits.get(ruleId) ?? []) lines.push(`  now               ${wait}`);
    const newestFirst = [...(decided.get(ruleId) ?? [])].reverse();
    for (const decision of newestFirst.slice(0, options.perRule))
      lines.push(`  ${localTime(decision.at, zone).slice(0, 16)}  ${explainDecision(decision, zone)}`);
    if (newestFirst.length > options.perRule) lines.push(`  … ${newestFirst.length - options.perRule} earlier (--per-rule to see more)`);
  }
  const quiet = [...rules.keys()].filter((ruleId) => !ruleIds.includes(ruleId) && options.rule === undefined);
  if (quiet.length > 0) lines.push('', `Nothing decided for this person in the last 30 days: ${quiet.join(', ')}.`);
  return lines.join('\n');
}

const latest = (decisions: readonly Decision[] | undefined) => decisions?.at(-1)?.at ?? Number.POSITIVE_INFINITY;
