import type { CampaignSegment } from '#shared/events/campaign-segment.js';

/**
 * How a recurring rule's run over every profile is shared out: parallel scan segments of the
 * table, each taken by a campaign worker in chunks. More segments than workers ever run at once
 * (the rules queue's concurrency), so none waits on one long segment; a chunk small enough that a
 * batch of them fits well inside the function's timeout.
 */
export const campaignSegments = 64;
export const campaignChunkProfiles = 500;

/** The shares one run of a recurring rule starts as: every segment, from its start. */
export function campaignShares(run: { readonly ruleId: string; readonly dueAt: string }, segments = campaignSegments): CampaignSegment[] {
  return Array.from({ length: segments }, (_, segment) => ({ ruleId: run.ruleId, dueAt: run.dueAt, segment, segments }));
}
