import { z } from 'zod';
import { Profile } from './profile.js';

export const source = 'nudge.profiles';
export const detailType = 'profile.updated';
export const version = 1;

/**
 * Published once per applied customer event (duplicates are dropped before this), after the
 * profile was written. `trigger` is the customer event in bus shape, so a rule's event pattern,
 * written against the bus, matches it as written.
 */
export const schema = z.object({
  profileId: z.string().min(1),
  /**
   * The profile's stored version after this event. The bus does not keep order (two events for one
   * person applied at once may arrive the other way round): a consumer that keeps the latest
   * profile orders by this. Absent on events archived before it was added.
   */
  version: z.number().int().positive().optional(),
  changed: z.array(z.string()),
  /** Segments (`rfm:champions`, `tier:gold`, `engagement:high`) the person entered or left with this event. */
  segments: z.object({ entered: z.array(z.string()), left: z.array(z.string()) }).default({ entered: [], left: [] }),
  profile: Profile,
  trigger: z.object({
    source: z.string(),
    'detail-type': z.string(),
    detail: z.record(z.string(), z.unknown()).and(z.object({ eventId: z.string(), occurredAt: z.string() })),
  }),
});
export type ProfileUpdated = z.infer<typeof schema>;
