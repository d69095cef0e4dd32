import * as Events from './events/index.js';

/**
 * Who listens to what on the bus. The CDK stack builds its EventBridge rules from this and the
 * local runtime routes with it, so the two cannot disagree.
 */
export const busName = 'nudge';

export type Consumer = 'profiles' | 'rules' | 'dispatch';

export interface Subscription {
  /** Stable id: the CDK construct id of the bus rule. */
  readonly id: string;
  readonly consumer: Consumer;
  readonly description: string;
  readonly pattern: Record<string, unknown>;
}

/** What push-down needs of a rule (the rule file's own fields). */
export interface RuleFilter {
  readonly id: string;
  readonly enabled: boolean;
  readonly trigger: { readonly event: Record<string, unknown> };
  readonly conditions?: Record<string, unknown>;
}

/** EventBridge's default limit on one event pattern, in characters (it can be raised to 4096). */
export const maxEventPatternLength = 2048;

const on = (...contracts: readonly Events.Contract[]) => {
  const sources = [...new Set(contracts.map((contract) => contract.source))];
  // A family of detail-types (custom.*) is matched by its prefix.
  const detailTypes = contracts.map((contract) => (contract.detailType.endsWith('*') ? { prefix: contract.detailType.slice(0, -1) } : contract.detailType));
  return { source: sources, 'detail-type': detailTypes };
};

/**
 * The patterns of the bus rules that feed the rules service: the union of the enabled rules'
 * event filters (matched against `detail.trigger`) and profile conditions (`detail.profile`), so
 * events that no rule wants never invoke it. Split into several patterns when one would pass
 * EventBridge's size limit; a rule whose filter alone is too large gets every update instead.
 */
export function ruleFeedPatterns(rules: readonly RuleFilter[]): Record<string, unknown>[] {
  const base = on(Events.ProfileUpdated);
  const alternatives = [
    ...new Map(
      rules
        .filter((rule) => rule.enabled)
        .map((rule) => ({ detail: { trigger: rule.trigger.event, ...(rule.conditions ? { profile: rule.conditions } : {}) } }))
        .map((alternative) => [JSON.stringify(alternative), alternative] as const),
    ).values(),
  ];
  const patternOf = (chunk: readonly Record<string, unknown>[]) => (chunk.length === 1 ? { ...base, ...chunk[0] } : { ...base, $or: chunk });
  if (alternatives.some((alternative) => JSON.stringify(patternOf([alternative])).length > maxEventPatternLength)) return [base];
  const patterns: Record<string, unknown>[] = [];
  let chunk: Record<string, unknown>[] = [];
  for (const alternative of alternatives) {
    if (chunk.length > 0 && JSON.stringify(patternOf([...chunk, alternative])).length > maxEventPatternLength) {
      patterns.push(patternOf(chunk));
      chunk = [];
    }
    chunk.push(alternative);
  }
  if (chunk.length > 0) patterns.push(patternOf(chunk));
  return patterns;
}

export function subscriptionsFor(rules: readonly RuleFilter[]): Subscription[] {
  return [
    {
      id: 'CustomerEventsToProfiles',
      consumer: 'profiles',
      description: 'Canonical customer events from intake update the profile (thin ones wait for enrichment)',
      // A thin event (BigCommerce ids only) names no person yet; its enriched copy does.
      pattern: { ...on(...Events.customerEvents), detail: { needsEnrichment: [{ exists: false }] } },
    },
    ...ruleFeedPatterns(rules).map((pattern, index) => ({
      id: index === 0 ? 'ProfileUpdatesToRules' : `ProfileUpdatesToRules${index + 1}`,
      consumer: 'rules' as const,
      description: 'Profile updates that some rule wants, with the profile after the event, are evaluated against the rules',
      pattern,
    })),
    {
      id: 'MessageRequestsToDispatch',
      consumer: 'dispatch',
      description: 'Requested messages are rendered and sent',
      pattern: on(Events.MessageRequested),
    },
  ];
}
