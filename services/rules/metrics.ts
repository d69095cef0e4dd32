import { maxRuleDimensions, type Observability } from '../../shared/observability.js';
import type { Evaluation, RuleEngine } from './engine.js';

/**
 * Decisions per rule as metrics: `RuleDecisions` by Decision (fired, cooldown, once, conditions)
 * and by RuleId while the project has at most `maxRuleDimensions` rules; above that, by trigger
 * type, so the count of custom metrics stays bounded whatever marketers write.
 */
export function recordEvaluation(observability: Observability, engine: RuleEngine, evaluation: Evaluation): void {
  const perRule = engine.rules.length <= maxRuleDimensions;
  const counts = new Map<string, { dimensions: Record<string, string>; count: number }>();
  const add = (ruleId: string, decision: string) => {
    const rule = engine.rule(ruleId);
    const dimensions: Record<string, string> = perRule
      ? { Decision: decision, RuleId: ruleId }
      : { Decision: decision, TriggerType: rule?.rule.trigger.type ?? 'unknown' };
    const key = JSON.stringify(dimensions);
    const entry = counts.get(key) ?? { dimensions, count: 0 };
    entry.count++;
    counts.set(key, entry);
  };
  for (const request of evaluation.requests) add(request.ruleId, 'fired');
  for (const refusal of evaluation.refused) add(refusal.ruleId, refusal.reason);
  for (const ruleId of evaluation.unqualified) add(ruleId, 'conditions');
  for (const { dimensions, count } of counts.values()) observability.counted('RuleDecisions', dimensions, count);
}
