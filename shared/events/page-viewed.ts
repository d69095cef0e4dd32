import { z } from 'zod';
import { CanonicalEventBase } from './common.js';

export const source = 'nudge.intake';
export const detailType = 'page.viewed';
export const version = 1;

/** A shopper viewed a page of the web shop, or a screen of the shop's app (Segment page and screen). */
export const schema = CanonicalEventBase.extend({
  properties: z.object({
    kind: z.enum(['page', 'screen']),
    name: z.string().optional(),
    category: z.string().optional(),
    url: z.string().optional(),
    path: z.string().optional(),
    title: z.string().optional(),
    referrer: z.string().optional(),
  }),
});
export type PageViewed = z.infer<typeof schema>;
