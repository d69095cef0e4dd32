import { createHash } from 'node:crypto';
import { flattenEvent, matchesFlat } from '../../../shared/event-pattern/index.js';
import type { MessageRequested } from '../../../shared/events/message-requested.js';
import type { ProfileUpdated } from '../../../shared/events/profile-updated.js';
import type { CompiledRule } from './rule.js';

/**
 * The same rule, person and triggering event always give the same message id, so a redelivered
 * trigger asks for the same message again and dispatch can send it once.
 */
export function messageIdFor(ruleId: string, profileId: string, triggerEventId: string): string {
  return `msg_${createHash('sha256').update(`${ruleId}|${profileId}|${triggerEventId}`).digest('hex').slice(0, 32)}`;
}

/** Which rules the update triggers, as message requests. */
export function evaluate(rules: readonly CompiledRule[], update: ProfileUpdated, now: Date): MessageRequested[] {
  const trigger = flattenEvent(update.trigger);
  return rules
    .filter(({ rule, eventPattern }) => rule.enabled && matchesFlat(eventPattern, trigger))
    .map(({ rule }) => ({
      messageId: messageIdFor(rule.id, update.profileId, update.trigger.detail.eventId),
      ruleId: rule.id,
      profileId: update.profileId,
      channel: rule.channel,
      template: rule.template,
      requestedAt: now.toISOString(),
      context: { profile: update.profile, event: update.trigger.detail },
    }));
}
