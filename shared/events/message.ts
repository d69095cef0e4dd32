import { z } from 'zod';
import { Channel } from './common.js';

/** An A/B variant's id: it travels as an SES message tag, which allows only these characters. */
export const VariantId = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'letters, digits, "_" and "-", such as "a" or "short-subject" (it travels as an SES tag)');

/** Fields every message.* event carries, so any of them can be joined to its request. */
export const MessageRef = z.object({
  messageId: z.string().min(1),
  ruleId: z.string().min(1),
  profileId: z.string().min(1),
  channel: Channel,
  template: z.string().min(1),
  /** The rule's A/B variant this person was assigned (absent when the rule has no variants). */
  variant: VariantId.optional(),
});
export type MessageRef = z.infer<typeof MessageRef>;

/** What SES told about a sent email, joined back to the message by the tags dispatch sent it with. */
export const MessageFeedback = MessageRef.extend({
  /** When SES saw it happen. */
  at: z.string().min(1),
  /** SES's id of the email (`message.sent` carries it too). */
  providerMessageId: z.string().min(1),
});
