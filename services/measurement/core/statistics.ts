/**
 * The statistics of the report, in one place, each named as the literature names it so a reader
 * can look it up. All are large-sample approximations; the report says when samples are too small.
 */

/** The 97.5th percentile of the standard normal: two-sided 95% intervals. */
export const z95 = 1.959963984540054;

export type Interval = readonly [number, number];

/** Wilson score interval for a proportion (Wilson 1927): sound at small counts and near 0, unlike the Wald interval. */
export function wilson(successes: number, trials: number, z = z95): Interval {
  if (trials === 0) return [0, 1];
  const p = successes / trials;
  const z2 = z * z;
  const centre = (p + z2 / (2 * trials)) / (1 + z2 / trials);
  const half = (z / (1 + z2 / trials)) * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/**
 * Difference of two proportions (p1 − p0) with Newcombe's hybrid score interval (Newcombe 1998,
 * method 10), built from the two Wilson intervals: it keeps its coverage at low conversion rates.
 */
export function differenceOfProportions(c1: number, n1: number, c0: number, n0: number): { difference: number; interval: Interval } | undefined {
  if (n1 === 0 || n0 === 0) return undefined;
  const p1 = c1 / n1;
  const p0 = c0 / n0;
  const [l1, u1] = wilson(c1, n1);
  const [l0, u0] = wilson(c0, n0);
  const difference = p1 - p0;
  return { difference, interval: [difference - Math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2), difference + Math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)] };
}

/** Relative lift p1 / p0 − 1 with the Katz log interval of the risk ratio (Katz et al. 1978); undefined without conversions on both sides. */
export function relativeLift(c1: number, n1: number, c0: number, n0: number): { lift: number; interval: Interval } | undefined {
  if (c1 === 0 || c0 === 0 || n1 === 0 || n0 === 0) return undefined;
  const ratio = c1 / n1 / (c0 / n0);
  const se = Math.sqrt(1 / c1 - 1 / n1 + 1 / c0 - 1 / n0);
  return { lift: ratio - 1, interval: [ratio * Math.exp(-z95 * se) - 1, ratio * Math.exp(z95 * se) - 1] };
}

/** A sample's mean and the variance of that mean, from its count, sum and sum of squares. */
export function meanAndVariance(n: number, sum: number, sumOfSquares: number): { mean: number; varianceOfMean: number } {
  if (n === 0) return { mean: 0, varianceOfMean: 0 };
  const mean = sum / n;
  const variance = n > 1 ? Math.max(0, (sumOfSquares - n * mean * mean) / (n - 1)) : 0;
  return { mean, varianceOfMean: variance / n };
}

/** Difference of two means with a normal (Welch) 95% interval. */
export function differenceOfMeans(
  a: { mean: number; varianceOfMean: number },
  b: { mean: number; varianceOfMean: number },
): { difference: number; interval: Interval } {
  const difference = a.mean - b.mean;
  const half = z95 * Math.sqrt(a.varianceOfMean + b.varianceOfMean);
  return { difference, interval: [difference - half, difference + half] };
}

/**
 * The mixture sequential probability ratio test (mSPRT; Robbins 1970, as used for A/B tests by
 * Johari, Koomen, Pekelis and Walsh, "Always valid inference", 2017): the likelihood ratio of "the
 * difference is θ" against "it is 0", averaged over θ ~ N(0, τ²), for an estimate θ̂ whose variance
 * is V. Its reciprocal, minimised over every look so far, is a p-value that stays valid however
 * often and whenever one looks: a marketer may check the report every day.
 */
export function mixtureLikelihoodRatio(estimate: number, variance: number, tauSquared: number): number {
  if (!(variance > 0) || !(tauSquared > 0)) return 1;
  return Math.sqrt(variance / (variance + tauSquared)) * Math.exp((estimate * estimate * tauSquared) / (2 * variance * (variance + tauSquared)));
}

/** The always-valid p-value after a series of looks (each with its cumulative estimate and variance). */
export function alwaysValidPValue(looks: readonly { readonly estimate: number; readonly variance: number }[], tauSquared: number): number {
  let p = 1;
  for (const look of looks) p = Math.min(p, 1 / mixtureLikelihoodRatio(look.estimate, look.variance, tauSquared));
  return p;
}
