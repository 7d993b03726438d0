import { describe, expect, it } from 'vitest';
import {
  MIN_REFERENCES,
  estimateExposures,
  extrapolationExposure,
  interpolationExposure,
} from '../../src/canary/estimate.js';
import { skewNormalCdf } from '../../src/canary/skew-normal.js';
import { seededRandom } from '../../src/util/random.js';
import { UserError } from '../../src/util/errors.js';

describe('interpolation exposure (TF Privacy secret_sharer definition)', () => {
  it('follows log2 N - log2(1 + #{refs <= canary}) including ties and both extremes', () => {
    const refs = [5, 3, 9, 3, 7, 1, 3, 8];
    const N = refs.length;
    // Better than every reference: rank 1, the maximum log2 N.
    expect(interpolationExposure(refs, 0.5)).toBe(Math.log2(N));
    // Worse than every reference: rank N + 1, slightly negative.
    expect(interpolationExposure(refs, 10)).toBe(Math.log2(N) - Math.log2(N + 1));
    expect(interpolationExposure(refs, 10)).toBeLessThan(0);
    // Ties count against the canary: 3 equals three references and exceeds 1.
    expect(interpolationExposure(refs, 3)).toBe(Math.log2(N) - Math.log2(1 + 4));
    expect(interpolationExposure(refs, 2.999)).toBe(Math.log2(N) - Math.log2(1 + 1));
    // Equal to the worst reference: every reference counts.
    expect(interpolationExposure(refs, 9)).toBe(Math.log2(N) - Math.log2(N + 1));
    expect(() => interpolationExposure([], 1)).toThrow(RangeError);
  });
});

describe('exposure estimates from a reference sample', () => {
  const sample = (n: number, seed: string): number[] => {
    const rng = seededRandom(seed);
    const u0 = new Float64Array(n);
    const u1 = new Float64Array(n);
    rng.fillNormal(u0);
    rng.fillNormal(u1);
    const delta = 0.8;
    return Array.from(u0, (a, i) => 30 + 4 * (delta * Math.abs(a) + Math.sqrt(1 - delta * delta) * u1[i]!));
  };

  it('extrapolation agrees with interpolation inside the sample and stays finite far below it', () => {
    const refs = sample(5000, 'estimate-agree');
    const est = estimateExposures({ a: [20, 28, 31, 40, -500] }, refs);
    expect(est.reference.count).toBe(5000);
    const { interpolation, extrapolation } = est.exposures['a']!;
    expect(interpolation).toEqual([20, 28, 31, 40, -500].map((c) => interpolationExposure(refs, c)));
    // Where the sample has data, the two estimates agree (a few hundred references below).
    for (const i of [1, 2]) expect(Math.abs(extrapolation[i]! - interpolation[i]!)).toBeLessThan(0.15);
    // A canary far below every reference: interpolation saturates at log2 N, extrapolation goes on.
    expect(interpolation[4]).toBe(Math.log2(5000));
    expect(Number.isFinite(extrapolation[4]!)).toBe(true);
    expect(extrapolation[4]!).toBeGreaterThan(1000);
    expect(extrapolation[3]!).toBeGreaterThanOrEqual(0);
    // extrapolation = -log2 CDF where the CDF is representable.
    const fit = est.reference.skewNormal;
    expect(extrapolationExposure(fit, 28)).toBeCloseTo(-Math.log2(skewNormalCdf(fit, 28)), 10);
  });

  it('rejects too few, non-finite or constant references and non-finite canary scores', () => {
    const refs = sample(MIN_REFERENCES, 'estimate-errors');
    expect(() => estimateExposures({ a: [1] }, refs.slice(1))).toThrow(new RegExp(`at least ${MIN_REFERENCES}`));
    expect(() => estimateExposures({ a: [1] }, [...refs.slice(1), NaN])).toThrow(UserError);
    expect(() => estimateExposures({ a: [1] }, new Array<number>(MIN_REFERENCES).fill(3))).toThrow(/equal/);
    expect(() => estimateExposures({ a: [Infinity] }, refs)).toThrow(/canary 'a'/);
  });
});
