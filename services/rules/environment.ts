import { z } from 'zod';
import { EnvironmentParts } from '#shared/config.js';
import { campaignChunkProfiles, campaignSegments } from './campaign.js';

/** The rules function's environment: the stack and the local runtime set it from this. */
export const RulesEnvironment = z.object({
  EVENT_BUS_NAME: z.string().min(1),
  TABLE_NAME: z.string().min(3),
  ...EnvironmentParts.project,
  ...EnvironmentParts.consumer,
  ...EnvironmentParts.scheduling,
  /** How many parallel scan segments a recurring rule's run is shared into, and how many profiles a worker takes at a time. */
  CAMPAIGN_SEGMENTS: z.coerce.number().int().min(1).max(1_000_000).default(campaignSegments),
  CAMPAIGN_CHUNK_PROFILES: z.coerce.number().int().min(1).max(10_000).default(campaignChunkProfiles),
});
