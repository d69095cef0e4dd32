import type { z } from 'zod';
import { MessageFeedback } from './message.js';

export const source = 'nudge.dispatch';
export const detailType = 'message.complained';
export const version = 1;

/** The recipient marked the email as spam; the address is suppressed from then on. (SES event `Complaint`.) */
export const schema = MessageFeedback;
export type MessageComplained = z.infer<typeof schema>;
