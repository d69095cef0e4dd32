import { z } from 'zod';
import { UtcInstant } from './common.js';
import { MessageRef } from './message.js';
import { Profile } from './profile.js';

export const source = 'nudge.rules';
export const detailType = 'message.requested';

export const schema = MessageRef.extend({
  requestedAt: UtcInstant,
  /** What the template may use: the profile as of the trigger, and the triggering event's detail. */
  context: z.object({
    profile: Profile,
    event: z.record(z.string(), z.unknown()),
  }),
});
export type MessageRequested = z.infer<typeof schema>;
