import { z } from 'zod';
import { CanonicalEventBase } from './common.js';

export const source = 'nudge.intake';
/** A family of detail-types: `custom.<name>`, one per tracked event name that is not a canonical one. */
export const detailTypePrefix = 'custom.';
export const detailType = `${detailTypePrefix}*`;
export const version = 1;

/** EventBridge allows detail-types of up to 128 characters. */
export const maxNameLength = 128 - detailTypePrefix.length;

/** Any other tracked event ("Song Played" becomes `custom.Song Played`), with its properties as sent. */
export const schema = CanonicalEventBase.extend({
  properties: z.object({
    name: z.string().min(1).max(maxNameLength),
    values: z.record(z.string(), z.unknown()),
  }),
});
export type CustomEvent = z.infer<typeof schema>;

export const detailTypeFor = (name: string) => `${detailTypePrefix}${name}`;
