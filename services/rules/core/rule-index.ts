import { type FlatEvent, matchesFlat } from '#shared/event-pattern/index.js';
import { PatternSet } from '#shared/event-pattern/pattern-set.js';
import type { CompiledRule } from './rule.js';

/** A rule and which of its trigger's patterns an event matched. */
export interface Route {
  readonly rule: CompiledRule;
  readonly role: number;
}

/**
 * Finds, for an event, the enabled rules with a trigger pattern that matches it, and which: cost
 * grows with the rules that could match, not with all rules (see PatternSet for how).
 */
export class RuleIndex {
  private readonly patterns: PatternSet<Route>;

  constructor(readonly rules: readonly CompiledRule[]) {
    this.patterns = new PatternSet(
      rules.filter((rule) => rule.rule.enabled).flatMap((rule) => rule.trigger.patterns.map(({ pattern }, role) => ({ pattern, value: { rule, role } }))),
    );
  }

  matching(event: unknown): Route[] {
    return this.patterns.match(event);
  }
}

/** The baseline the index is measured against: every pattern of every enabled rule, tested in turn. */
export function matchingByScan(rules: readonly CompiledRule[], event: FlatEvent): Route[] {
  const found: Route[] = [];
  for (const rule of rules) {
    if (!rule.rule.enabled) continue;
    rule.trigger.patterns.forEach(({ pattern }, role) => {
      if (matchesFlat(pattern, event)) found.push({ rule, role });
    });
  }
  return found;
}
