import { z } from 'zod';
import { UtcInstant } from './common.js';
import { MessageRef } from './message.js';

export const source = 'nudge.dispatch';
export const detailType = 'message.failed';
export const version = 1;

/** A send that can never succeed as asked (SES rejected it); transient errors are retried instead. */
export const schema = MessageRef.extend({
  failedAt: UtcInstant,
  error: z.object({ code: z.string(), message: z.string() }),
});
export type MessageFailed = z.infer<typeof schema>;
