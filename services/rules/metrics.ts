import { maxRuleDimensions, type Observability } from '#shared/observability.js';
import type { CompiledRule } from './core/rule.js';
import type { Evaluation } from './engine.js';

export interface DecisionCount {
  readonly dimensions: Readonly<Record<string, string>>;
  readonly count: number;
}

/**
 * Decisions per rule as counts: by Decision (fired, cooldown, once, conditions) and by RuleId while
 * the project has at most `maxRuleDimensions` rules; above that, by trigger type, so the number of
 * custom metrics stays bounded whatever marketers write.
 */
export function decisionCounts(rules: readonly CompiledRule[], evaluation: Evaluation): DecisionCount[] {
  const perRule = rules.length <= maxRuleDimensions;
  const typeOf = new Map(rules.map(({ rule }) => [rule.id, rule.trigger.type]));
  const counts = new Map<string, { dimensions: Record<string, string>; count: number }>();
  const add = (ruleId: string, decision: string) => {
    const dimensions: Record<string, string> = perRule
      ? { Decision: decision, RuleId: ruleId }
      : { Decision: decision, TriggerType: typeOf.get(ruleId) ?? 'unknown' };
    const key = JSON.stringify(dimensions);
    const entry = counts.get(key) ?? { dimensions, count: 0 };
    entry.count++;
    counts.set(key, entry);
  };
  for (const request of evaluation.requests) add(request.ruleId, 'fired');
  for (const refusal of evaluation.refused) add(refusal.ruleId, refusal.reason);
  for (const ruleId of evaluation.unqualified) add(ruleId, 'conditions');
  return [...counts.values()];
}

export function recordEvaluation(observability: Observability, rules: readonly CompiledRule[], evaluation: Evaluation): void {
  for (const { dimensions, count } of decisionCounts(rules, evaluation)) observability.counted('RuleDecisions', dimensions, count);
}
