import type { z } from 'zod';
import { MessageFeedback } from './message.js';

export const source = 'nudge.dispatch';
export const detailType = 'message.opened';
export const version = 1;

/** The recipient opened the email (as far as images tell). (SES event `Open`.) */
export const schema = MessageFeedback;
export type MessageOpened = z.infer<typeof schema>;
