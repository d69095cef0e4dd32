import { z } from 'zod';
import { MessageFeedback } from './message.js';

export const source = 'nudge.dispatch';
export const detailType = 'message.bounced';
export const version = 1;

/** The email bounced: `permanent` (the address is suppressed from then on) or `transient`. (SES event `Bounce`.) */
export const schema = MessageFeedback.extend({
  bounce: z.object({ type: z.enum(['permanent', 'transient', 'undetermined']), subType: z.string().optional() }),
});
export type MessageBounced = z.infer<typeof schema>;
