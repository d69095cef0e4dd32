import { z } from 'zod';
import { Channel } from './common.js';

/** Fields every message.* event carries, so any of them can be joined to its request. */
export const MessageRef = z.object({
  messageId: z.string().min(1),
  ruleId: z.string().min(1),
  profileId: z.string().min(1),
  channel: Channel,
  template: z.string().min(1),
});
export type MessageRef = z.infer<typeof MessageRef>;
