import { createHash } from 'node:crypto';
import type { Variant } from './rule.js';

/**
 * The variant of a rule a person gets: a hash of rule and person picks a point in [0, 1), and the
 * weights cut that interval in order. The same person gets the same variant every time while the
 * weights stay the same; the hash is salted apart from the holdout's, so who is held out and who
 * gets which variant are independent.
 */
export function assignVariant(ruleId: string, profileId: string, variants: readonly Variant[]): Variant | undefined {
  const total = variants.reduce((sum, variant) => sum + variant.weight, 0);
  if (total <= 0) return undefined;
  const point = (createHash('sha256').update(`variant|${ruleId}|${profileId}`).digest().readUInt32BE(0) / 2 ** 32) * total;
  let upTo = 0;
  for (const variant of variants) {
    upTo += variant.weight;
    if (point < upTo) return variant;
  }
  return variants.findLast((variant) => variant.weight > 0);
}
