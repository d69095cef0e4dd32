import { z } from 'zod';
import { CanonicalEventBase } from './common.js';

export const source = 'nudge.intake';
export const detailType = 'consent.changed';
export const version = 1;

export const ConsentState = z.enum(['subscribed', 'unsubscribed', 'not-subscribed']);

/** A person's permission to be contacted on one channel changed, according to a platform. */
export const schema = CanonicalEventBase.extend({
  properties: z.object({
    channel: z.enum(['email', 'sms', 'push']),
    state: ConsentState,
    /** How the permission was given, as the platform says ("single_opt_in", "confirmed_opt_in", …). */
    optInLevel: z.string().optional(),
    /** The message whose unsubscribe link it was (origin `nudge`), so the unsubscribe is counted for its rule. */
    messageId: z.string().min(1).optional(),
  }),
});
export type ConsentChanged = z.infer<typeof schema>;
