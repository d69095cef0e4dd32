import { z } from 'zod';
import { UtcInstant } from './common.js';
import { MessageRef } from './message.js';

export const source = 'nudge.dispatch';
export const detailType = 'message.suppressed';

export const SuppressionReason = z.enum(['no-address']);
export type SuppressionReason = z.infer<typeof SuppressionReason>;

export const schema = MessageRef.extend({
  suppressedAt: UtcInstant,
  reason: SuppressionReason,
});
export type MessageSuppressed = z.infer<typeof schema>;
