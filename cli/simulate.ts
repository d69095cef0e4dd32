import { applyEvent, changedFields, emptyProfile, primaryIdentityKey } from '../services/profiles/core/apply-event.js';
import type { ProfileConfig } from '../services/profiles/core/config.js';
import { segmentChanges } from '../services/profiles/core/derive.js';
import { decide, firingRules, type RuleState, stateAfter } from '../services/rules/core/evaluate.js';
import type { CompiledRule } from '../services/rules/core/rule.js';
import { RuleIndex } from '../services/rules/core/rule-index.js';
import { customerEvents, findContract } from '../shared/events/index.js';
import type { Profile } from '../shared/events/profile.js';
import type { ProfileUpdated } from '../shared/events/profile-updated.js';

export interface SimulatedMessage {
  readonly at: string;
  readonly ruleId: string;
  readonly profileId: string;
  readonly email: string | undefined;
  readonly messageId: string;
  readonly trigger: string;
}

export interface HeldBack {
  readonly at: string;
  readonly ruleId: string;
  readonly profileId: string;
  readonly reason: string;
}

export interface SimulationReport {
  readonly messages: SimulatedMessage[];
  readonly heldBack: HeldBack[];
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

/**
 * Replays canonical events (one JSON object a line, as on the bus, such as the local runtime's
 * `.local/bus.ndjson`) through the real profile and rule code, on a virtual clock that follows the
 * events, and reports who would have been messaged and when. Nothing is sent or stored.
 */
export function simulate(rules: readonly CompiledRule[], ndjson: string, config: ProfileConfig, seedProfiles: readonly Profile[] = []): SimulationReport {
  const index = new RuleIndex(rules);
  const profiles = new Map<string, Profile>(seedProfiles.map((profile) => [profile.profileId, profile]));
  const profileIdByKey = new Map<string, string>(
    seedProfiles.filter((profile) => profile.email !== undefined).map((profile) => [`email#${profile.email?.toLowerCase()}`, profile.profileId]),
  );
  const applied = new Set<string>();
  const states = new Map<string, Map<string, RuleState>>();
  const report = {
    messages: [] as SimulatedMessage[],
    heldBack: [] as HeldBack[],
    skipped: [] as SimulationReport['skipped'],
    customerEvents: 0,
    duplicates: 0,
  };
  let clock = 0;

  ndjson.split('\n').forEach((text, index_) => {
    const lineNumber = index_ + 1;
    if (text.trim() === '') return;
    let line: Line;
    try {
      line = JSON.parse(text) as Line;
    } catch (error) {
      report.skipped.push({ line: lineNumber, reason: `not JSON: ${(error as Error).message}` });
      return;
    }
    const contract = findContract(customerEvents, line.source, line['detail-type']);
    if (contract === undefined) {
      report.skipped.push({ line: lineNumber, reason: `not a customer event: ${String(line.source)} ${String(line['detail-type'])}` });
      return;
    }
    const detailType = String(line['detail-type']);
    const parsed = contract.schema.safeParse(line.detail);
    if (!parsed.success) {
      const [issue] = parsed.error.issues;
      report.skipped.push({ line: lineNumber, reason: `invalid ${detailType} at detail.${issue?.path.join('.')}: ${issue?.message}` });
      return;
    }
    const detail = parsed.data;
    report.customerEvents++;
    // The clock follows the stream and never goes back, as time does for the real services.
    clock = Math.max(clock, Date.parse(detail.receivedAt));
    const now = new Date(clock);
    const key = primaryIdentityKey(detail.identity);
    if (key === undefined) return;
    const keyText = `${key.kind}#${key.value}`;
    const profileId = profileIdByKey.get(keyText) ?? `sim-${profileIdByKey.size + 1}`;
    profileIdByKey.set(keyText, profileId);
    if (applied.has(`${profileId}|${detail.eventId}`)) {
      report.duplicates++;
      return;
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
    const ruleStates = states.get(profileId) ?? new Map<string, RuleState>();
    states.set(profileId, ruleStates);
    for (const decision of decide(firingRules(index, update, now), update, ruleStates, now)) {
      const ruleId = decision.rule.rule.id;
      if (decision.admission.kind === 'refuse') {
        report.heldBack.push({ at: now.toISOString(), ruleId, profileId, reason: decision.admission.reason });
      } else if (decision.admission.kind === 'admit') {
        ruleStates.set(ruleId, stateAfter(ruleStates.get(ruleId), decision.request.messageId, now));
        report.messages.push({
          at: now.toISOString(),
          ruleId,
          profileId,
          email: profile.email,
          messageId: decision.request.messageId,
          trigger: `${detailType} ${detail.eventId}`,
        });
      }
    }
  });
  return { ...report, profiles: profiles.size };
}

export function formatReport(report: SimulationReport, rules: readonly CompiledRule[]): string {
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
    for (const message of messages) lines.push(`  ${message.at}  ${message.email ?? message.profileId}  after ${message.trigger}`);
    for (const entry of held) lines.push(`  ${entry.at}  ${entry.profileId}  held back: ${entry.reason}`);
  }
  const unreadable = report.skipped.filter((entry) => !entry.reason.startsWith('not a customer event'));
  if (unreadable.length > 0) {
    lines.push('', 'Lines that could not be read:');
    for (const entry of unreadable) lines.push(`  line ${entry.line}: ${entry.reason}`);
  }
  return lines.join('\n');
}
