import { campaignShares, nextShare, segmentEnd, shareStep } from '#services/rules/campaign.js';
import * as CampaignSegment from '#shared/events/campaign-segment.js';

const run = { ruleId: 'weekly', dueAt: '2026-11-30T10:00:00Z' };
const first = { ...run, segment: 3, segments: 8 };
const second = { ...first, after: '{"pk":"PROFILE#p9","sk":"PROFILE"}' };

describe("a campaign's shares and their cursor", () => {
  it('starts a run as every segment from its start', () => {
    expect(campaignShares(run, 3)).toEqual([0, 1, 2].map((segment) => ({ ...run, segment, segments: 3 })));
    expect(nextShare(first, second.after)).toEqual(second);
    expect(nextShare(second, undefined)).toBeUndefined();
  });

  it('runs only the share the cursor points at', () => {
    expect(shareStep(first, undefined)).toEqual({ kind: 'run' });
    expect(shareStep(second, { after: second.after, from: '' })).toEqual({ kind: 'run' });
  });

  it('puts the next share back when this one is done but the cursor is all that moved (a crash before the next was put)', () => {
    expect(shareStep(first, { after: second.after, from: '' })).toEqual({ kind: 'put-next', next: second });
  });

  it('drops a copy of a chunk already done: a duplicate delivery, a replay, a retried fan-out, a segment finished', () => {
    // A later chunk with no cursor: the cursor is gone (a replay older than its keeping), never start mid-segment.
    expect(shareStep(second, undefined)).toEqual({ kind: 'drop' });
    // The first chunk again, two chunks on.
    expect(shareStep(first, { after: '{"pk":"PROFILE#p20","sk":"PROFILE"}', from: second.after })).toEqual({ kind: 'drop' });
    // The segment's last chunk again, once it is done: nothing to put back.
    expect(shareStep(second, { after: segmentEnd, from: second.after })).toEqual({ kind: 'drop' });
    expect(shareStep(first, { after: segmentEnd, from: second.after })).toEqual({ kind: 'drop' });
  });

  it('refuses a share whose segment is not one of its run', () => {
    expect(CampaignSegment.schema.safeParse({ ...first, segment: 8 }).success).toBe(false);
    expect(CampaignSegment.schema.safeParse({ ...first, after: '' }).success).toBe(false);
    expect(CampaignSegment.schema.safeParse(second).success).toBe(true);
  });
});
