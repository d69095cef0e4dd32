import { z } from 'zod';
import type { Shops } from '#shared/shops.js';

const Score = z.number().int().min(1).max(5);
const ScoreRange = z.tuple([Score, Score]);
/** Four ascending thresholds: reaching the first gives score 2, the fourth gives 5. */
const Thresholds = z
  .tuple([z.number(), z.number(), z.number(), z.number()])
  .refine((values) => values.every((value, index) => index === 0 || value >= (values[index - 1] as number)), {
    message: 'thresholds must be in ascending order',
  });

/** What marketers tune about profiles: RFM scoring and segments, loyalty, history. `config/profiles.json`. */
export const ProfileConfigFile = z.object({
  rfm: z.object({
    /** Orders in other currencies count for frequency and recency, not for monetary. */
    currency: z.string().regex(/^[A-Z]{3}$/),
    /** Days since the last order at which recency drops: within the first → 5, past the last → 1. */
    recencyDays: Thresholds,
    /** Orders (not cancelled) needed for frequency 2, 3, 4, 5. */
    orders: Thresholds,
    /** Lifetime revenue in `currency` needed for monetary 2, 3, 4, 5. */
    revenue: Thresholds,
    /** First match wins; a person with no order is in no RFM segment. */
    segments: z.array(z.object({ name: z.string().regex(/^[a-z0-9-]+$/), recency: ScoreRange, frequency: ScoreRange, monetary: ScoreRange.optional() })).min(1),
  }),
  engagement: z.object({
    /** Distinct active days in the last 30 days for each level. */
    highDays: z.number().int().positive(),
    mediumDays: z.number().int().positive(),
  }),
  loyalty: z.object({
    currency: z.string().regex(/^[A-Z]{3}$/),
    pointsPerUnit: z.number().nonnegative(),
    pointsPerReview: z.number().int().nonnegative(),
    pointsPerReferral: z.number().int().nonnegative(),
    /** Ascending by points; the highest reached is the tier. */
    tiers: z.array(z.object({ name: z.string().regex(/^[a-z0-9-]+$/), points: z.number().int().nonnegative() })).min(1),
  }),
  /** Moved to config/shops.json, where dispatch reads a shop's language and sender too. */
  shops: z
    .unknown()
    .refine(() => false, '"shops" moved to config/shops.json (with the same entries, which can also give a language and a sender)')
    .optional(),
  history: z.object({
    /** Recent events kept per profile for sequence rules. */
    maxEvents: z.number().int().min(1).max(200),
    maxAgeDays: z.number().int().min(1).max(400),
  }),
});
/** What the profiles service works with: config/profiles.json, and what config/shops.json says of each shop. */
export type ProfileConfig = Omit<z.infer<typeof ProfileConfigFile>, 'shops'> & { readonly shops: Shops };
