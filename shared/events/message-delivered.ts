import type { z } from 'zod';
import { MessageFeedback } from './message.js';

export const source = 'nudge.dispatch';
export const detailType = 'message.delivered';
export const version = 1;

/** The receiving mail server accepted the email. (SES event `Delivery`.) */
export const schema = MessageFeedback;
export type MessageDelivered = z.infer<typeof schema>;
