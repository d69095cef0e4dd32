import { z } from 'zod';

export const source = 'nudge.profiles';
export const detailType = 'profile.merged';
export const version = 1;

/**
 * Two or more profiles turned out to be one person (an event carried keys of both). The merged
 * ones live on as aliases of `profileId`; anything keyed by their ids now belongs to it.
 */
export const schema = z.object({
  profileId: z.string().min(1),
  mergedProfileIds: z.array(z.string().min(1)).min(1),
  /** The customer event that showed it. */
  eventId: z.string().min(1),
});
export type ProfileMerged = z.infer<typeof schema>;
