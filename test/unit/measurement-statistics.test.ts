import {
  alwaysValidPValue,
  differenceOfProportions,
  meanAndVariance,
  mixtureLikelihoodRatio,
  relativeLift,
  wilson,
} from '#services/measurement/core/statistics.js';
import { seededRandom } from '../support/measurement.js';

/** A binomial draw by counting Bernoulli trials: slow, obviously right. */
function binomial(random: () => number, n: number, p: number): number {
  let successes = 0;
  for (let trial = 0; trial < n; trial++) if (random() < p) successes++;
  return successes;
}

describe('statistics of the report', () => {
  it('gives the Wilson interval of the literature (Newcombe 1998, table I)', () => {
    const [low, high] = wilson(81, 263);
    expect(low).toBeCloseTo(0.2553, 4);
    expect(high).toBeCloseTo(0.3662, 4);
    // No successes still gives an interval above zero, unlike the Wald interval.
    expect(wilson(0, 10)[1]).toBeCloseTo(0.2775, 4);
    expect(wilson(0, 0)).toEqual([0, 1]);
  });

  it("gives Newcombe's hybrid score interval for a difference of proportions (Newcombe 1998, example (a))", () => {
    const result = differenceOfProportions(56, 70, 48, 80);
    expect(result?.difference).toBeCloseTo(0.2, 10);
    expect(result?.interval[0]).toBeCloseTo(0.0524, 4);
    expect(result?.interval[1]).toBeCloseTo(0.3339, 4);
    expect(differenceOfProportions(1, 0, 1, 10)).toBeUndefined();
  });

  it('covers the true difference about 95% of the time at the low rates of marketing', () => {
    const random = seededRandom(7);
    const [p1, p0, n] = [0.06, 0.04, 2000];
    let covered = 0;
    const runs = 400;
    for (let run = 0; run < runs; run++) {
      const result = differenceOfProportions(binomial(random, n, p1), n, binomial(random, n / 4, p0), n / 4);
      if (result && result.interval[0] <= p1 - p0 && p1 - p0 <= result.interval[1]) covered++;
    }
    expect(covered / runs).toBeGreaterThan(0.92);
    expect(covered / runs).toBeLessThan(0.985);
  });

  it('gives the relative lift with the Katz log interval, and none without conversions on both sides', () => {
    const lift = relativeLift(120, 1000, 80, 1000);
    expect(lift?.lift).toBeCloseTo(0.5, 10);
    expect(lift?.interval[0]).toBeGreaterThan(0.1);
    expect(lift?.interval[1]).toBeLessThan(1.05);
    expect(relativeLift(10, 100, 0, 100)).toBeUndefined();
  });

  it('reads a mean and the variance of the mean from count, sum and sum of squares', () => {
    // 1, 2, 3, 4: mean 2.5, sample variance 5/3.
    const { mean, varianceOfMean } = meanAndVariance(4, 10, 30);
    expect(mean).toBe(2.5);
    expect(varianceOfMean).toBeCloseTo(5 / 3 / 4, 12);
  });

  it('has a mixture likelihood ratio of at most 1 with no difference, growing with the evidence', () => {
    expect(mixtureLikelihoodRatio(0, 1e-4, 4e-4)).toBeLessThan(1);
    expect(mixtureLikelihoodRatio(0.02, 1e-4, 4e-4)).toBeGreaterThan(mixtureLikelihoodRatio(0.01, 1e-4, 4e-4));
    expect(mixtureLikelihoodRatio(0.02, 0, 4e-4)).toBe(1);
  });

  it('keeps its false-positive rate under 5% for A/A tests looked at every day for a month (where a fixed-sample test peeked daily would not)', () => {
    const random = seededRandom(11);
    const [days, perDay, rate] = [30, 200, 0.08];
    let sequentialFalsePositives = 0;
    let peekingFalsePositives = 0;
    const tests = 300;
    for (let test = 0; test < tests; test++) {
      let [nA, cA, nB, cB] = [0, 0, 0, 0];
      const looks: { estimate: number; variance: number }[] = [];
      let peekedSignificant = false;
      for (let look = 0; look < days; look++) {
        nA += perDay;
        nB += perDay;
        cA += binomial(random, perDay, rate);
        cB += binomial(random, perDay, rate);
        const [pA, pB] = [cA / nA, cB / nB];
        const variance = (pA * (1 - pA)) / nA + (pB * (1 - pB)) / nB;
        looks.push({ estimate: pB - pA, variance });
        if (Math.abs(pB - pA) / Math.sqrt(variance) > 1.96) peekedSignificant = true;
      }
      if (alwaysValidPValue(looks, 0.02 ** 2) < 0.05) sequentialFalsePositives++;
      if (peekedSignificant) peekingFalsePositives++;
    }
    expect(sequentialFalsePositives / tests).toBeLessThan(0.05);
    // The reason for a sequential test: a z-test checked daily "finds" a winner far more often than 5%.
    expect(peekingFalsePositives / tests).toBeGreaterThan(0.1);
  });

  it('finds a real difference once the evidence is there', () => {
    const random = seededRandom(5);
    let [nA, cA, nB, cB] = [0, 0, 0, 0];
    const looks: { estimate: number; variance: number }[] = [];
    for (let look = 0; look < 30; look++) {
      nA += 200;
      nB += 200;
      cA += binomial(random, 200, 0.08);
      cB += binomial(random, 200, 0.12);
      const [pA, pB] = [cA / nA, cB / nB];
      looks.push({ estimate: pB - pA, variance: (pA * (1 - pA)) / nA + (pB * (1 - pB)) / nB });
    }
    expect(alwaysValidPValue(looks, 0.02 ** 2)).toBeLessThan(0.01);
  });
});
