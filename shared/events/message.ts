import { z } from 'zod';
import { Channel } from './common.js';

/** Fields every message.* event carries, so any of them can be joined to its request. */
export const MessageRef = z.object({
  messageId: z.string().min(1),
  ruleId: z.string().min(1),
  profileId: z.string().min(1),
  channel: Channel,
  template: z.string().min(1),
  /** The rule's A/B variant this person was assigned (absent when the rule has no variants). */
  variant: z.string().min(1).optional(),
});
export type MessageRef = z.infer<typeof MessageRef>;

/** What SES told about a sent email, joined back to the message by the tags dispatch sent it with. */
export const MessageFeedback = MessageRef.extend({
  /** When SES saw it happen. */
  at: z.string().min(1),
  /** SES's id of the email (`message.sent` carries it too). */
  providerMessageId: z.string().min(1),
});
