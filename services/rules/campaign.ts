import type { CampaignSegment } from '#shared/events/campaign-segment.js';

/**
 * How a recurring rule's run over every profile is shared out: parallel scan segments of the
 * table, each taken by a campaign worker in chunks. More segments than workers ever run at once
 * (the rules queue's concurrency), so none waits on one long segment; a chunk small enough that it
 * runs well inside the function's timeout if every one of its people qualifies.
 */
export const campaignSegments = 64;
export const campaignChunkProfiles = 500;

/** The shares one run of a recurring rule starts as: every segment, from its start. */
export function campaignShares(run: { readonly ruleId: string; readonly dueAt: string }, segments = campaignSegments): CampaignSegment[] {
  return Array.from({ length: segments }, (_, segment) => ({ ruleId: run.ruleId, dueAt: run.dueAt, segment, segments }));
}

/** A segment's start and end, as its cursor names them (DynamoDB's keys, as JSON, are never these). */
export const segmentStart = '';
export const segmentEnd = '#end';

/** How far a run's segment has gone: where its next chunk starts, and where the chunk that moved it there started. */
export interface CampaignCursor {
  readonly after: string;
  readonly from: string;
}

export type ShareStep =
  | { readonly kind: 'run' }
  /** This chunk was done and the cursor moved, but the next share may never have been put back (a crash): put it back. */
  | { readonly kind: 'put-next'; readonly next: CampaignSegment }
  /** A copy of a chunk already done (a duplicate delivery, a replay, a retried fan-out): nothing to do. */
  | { readonly kind: 'drop' };

/**
 * What a delivered share does, given its segment's cursor. Queues and buses deliver at least once:
 * only the share the cursor points at runs, so a duplicate can repeat one chunk (its messages have
 * the same ids) but never start a second chain through the rest of the segment.
 */
export function shareStep(share: CampaignSegment, cursor: CampaignCursor | undefined): ShareStep {
  const at = share.after ?? segmentStart;
  if (cursor === undefined) return at === segmentStart ? { kind: 'run' } : { kind: 'drop' };
  if (cursor.after === at) return { kind: 'run' };
  if (cursor.from === at && cursor.after !== segmentEnd) return { kind: 'put-next', next: { ...share, after: cursor.after } };
  return { kind: 'drop' };
}

/** The share after a chunk that stopped at `rest` (undefined: its segment is done). */
export function nextShare(share: CampaignSegment, rest: string | undefined): CampaignSegment | undefined {
  return rest === undefined ? undefined : { ...share, after: rest };
}
