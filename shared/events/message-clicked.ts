import { z } from 'zod';
import { MessageFeedback } from './message.js';

export const source = 'nudge.dispatch';
export const detailType = 'message.clicked';
export const version = 1;

/** The recipient followed a link in the email. (SES event `Click`.) */
export const schema = MessageFeedback.extend({
  link: z.string().optional(),
});
export type MessageClicked = z.infer<typeof schema>;
