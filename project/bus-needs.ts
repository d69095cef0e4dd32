import type { CompiledRule } from '#services/rules/core/rule.js';
import type { RulesBusNeeds } from '#shared/topology.js';

/** What the enabled rules need from the bus and Scheduler, from what each trigger kind says. */
export function busNeedsOf(rules: readonly CompiledRule[]): RulesBusNeeds {
  const enabled = rules.filter((rule) => rule.rule.enabled);
  return {
    feed: enabled.flatMap((rule) => rule.trigger.feed),
    timers: enabled.some((rule) => rule.trigger.waits),
    schedules: enabled.flatMap(({ rule, trigger }) => (trigger.schedule === undefined ? [] : [{ ruleId: rule.id, ...trigger.schedule }])),
  };
}
