import { z } from 'zod';
import { UtcInstant } from './common.js';
import { MessageRef } from './message.js';
import { Profile } from './profile.js';

export const source = 'nudge.rules';
export const detailType = 'message.requested';
export const version = 1;

export const schema = MessageRef.extend({
  requestedAt: UtcInstant,
  /** Transactional messages (an order's thank-you) skip consent, caps, quiet hours and holdouts; never suppression. */
  purpose: z.enum(['marketing', 'transactional']).default('marketing'),
  /** Per cent of people the rule keeps out of its messages, to measure what the messages earn. */
  holdoutPercent: z.number().min(0).max(100).default(0),
  /** For the webhook channel: which endpoint of config/dispatch.json. */
  webhook: z.string().optional(),
  /** The subject line of the rule's variant, in place of the template's (Liquid, like the template's). */
  subject: z.string().min(1).optional(),
  /** Set on the request dispatch put back for later (quiet hours): the time it stands for. */
  deferredUntil: UtcInstant.optional(),
  /** What the template may use: the profile as of the trigger, and the triggering event's detail. */
  context: z.object({
    profile: Profile,
    event: z.record(z.string(), z.unknown()),
  }),
});
export type MessageRequested = z.infer<typeof schema>;
