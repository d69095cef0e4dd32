import { z } from 'zod';
import { CanonicalEventBase } from './common.js';

export const source = 'nudge.intake';
export const detailType = 'location.reported';
export const version = 1;

/** A shop app reported where the shopper is: the input of geofence triggers. */
export const schema = CanonicalEventBase.extend({
  properties: z.object({
    latitude: z.number().min(-90).max(90),
    longitude: z.number().min(-180).max(180),
    /** Radius of uncertainty in metres, as phones report it. */
    accuracyMeters: z.number().nonnegative().optional(),
  }),
});
export type LocationReported = z.infer<typeof schema>;
