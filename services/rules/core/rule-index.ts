import { type FlatEvent, matchesFlat } from '../../../shared/event-pattern/index.js';
import { PatternSet } from '../../../shared/event-pattern/pattern-set.js';
import type { CompiledRule } from './rule.js';

/**
 * Finds the enabled event-triggered rules whose event pattern matches an event, so cost grows with the rules
 * that could match, not with all rules (see PatternSet for how).
 */
export class RuleIndex {
  private readonly patterns: PatternSet<CompiledRule>;

  constructor(readonly rules: readonly CompiledRule[]) {
    this.patterns = new PatternSet(
      rules.flatMap((rule) => (rule.rule.enabled && rule.eventPattern !== undefined ? [{ pattern: rule.eventPattern, value: rule }] : [])),
    );
  }

  /** Rules whose event pattern matches the trigger event, each once. */
  matching(event: unknown): CompiledRule[] {
    return this.patterns.match(event);
  }
}

/** The baseline the index is measured against: every enabled rule, tested in turn. */
export function matchingByScan(rules: readonly CompiledRule[], event: FlatEvent): CompiledRule[] {
  return rules.filter(({ rule, eventPattern }) => rule.enabled && eventPattern !== undefined && matchesFlat(eventPattern, event));
}
