import { z } from 'zod';
import { UtcInstant } from './common.js';
import { MessageRef } from './message.js';

export const source = 'nudge.dispatch';
export const detailType = 'message.deferred';
export const version = 1;

/** Not now: the message waits (quiet hours in the person's time zone) and is asked for again at `until`. */
export const schema = MessageRef.extend({
  deferredAt: UtcInstant,
  until: UtcInstant,
  reason: z.enum(['quiet-hours']),
});
export type MessageDeferred = z.infer<typeof schema>;
