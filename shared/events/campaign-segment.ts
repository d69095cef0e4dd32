import { z } from 'zod';

export const source = 'nudge.rules';
export const detailType = 'campaign.segment';
export const version = 1;

/**
 * One share of a recurring rule's run over every profile: the rules service splits each run into
 * `segments` parallel scan segments of the table and hands them out through a queue to concurrent
 * workers. A worker takes a bounded chunk of its segment from `after` and, when more is left, puts
 * the rest back as the next chunk: a failed chunk is received again from the same key, and each
 * person's message id (rule, person, `dueAt`) is the same however often a chunk runs.
 */
export const schema = z
  .object({
    ruleId: z.string().min(1),
    /** The schedule's own time for this run, as the recurring timer gave it. */
    dueAt: z.string().min(1),
    segment: z.number().int().min(0),
    segments: z.number().int().min(1).max(1_000_000),
    /** Where the previous chunk of the segment stopped: DynamoDB's LastEvaluatedKey, as JSON; absent at the segment's start. */
    after: z.string().min(1).optional(),
  })
  .refine((share) => share.segment < share.segments, { message: 'segment must be below segments', path: ['segment'] });
export type CampaignSegment = z.infer<typeof schema>;
