import { z } from 'zod';
import { UtcInstant } from './common.js';
import { MessageRef } from './message.js';

export const source = 'nudge.dispatch';
export const detailType = 'message.sent';
export const version = 1;

export const schema = MessageRef.extend({
  sentAt: UtcInstant,
  /** The id SES gave the email; SES feedback events carry it. */
  providerMessageId: z.string().min(1),
});
export type MessageSent = z.infer<typeof schema>;
