import { z } from 'zod';
import { UtcInstant } from './common.js';
import { MessageRef } from './message.js';

export const source = 'nudge.dispatch';
export const detailType = 'message.suppressed';
export const version = 1;

/**
 * Why a message did not go: no address for the channel; the address is suppressed (bounced,
 * complained or erased); the person unsubscribed from the channel, or (where consent is required)
 * never subscribed; a frequency cap across rules; the person is in the rule's holdout group.
 */
export const SuppressionReason = z.enum(['no-address', 'suppressed', 'unsubscribed', 'no-consent', 'frequency-cap', 'holdout']);
export type SuppressionReason = z.infer<typeof SuppressionReason>;

export const schema = MessageRef.extend({
  suppressedAt: UtcInstant,
  reason: SuppressionReason,
});
export type MessageSuppressed = z.infer<typeof schema>;
