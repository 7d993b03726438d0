import { describe, expect, it } from 'vitest';
import {
  MIN_FIT_REFERENCES,
  MIN_REFERENCES,
  estimateExposures,
  extrapolationExposure,
  interpolationExposure,
} from '../../src/canary/estimate.js';
import { skewNormalCdf } from '../../src/canary/skew-normal.js';
import { seededRandom } from '../../src/util/random.js';
import { InvalidArgumentError } from '../../src/util/errors.js';

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
    expect(() => interpolationExposure([], 1)).toThrow(InvalidArgumentError);
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
    const { interpolation } = est.exposures['a']!;
    const extrapolation = est.exposures['a']!.extrapolation!;
    expect(interpolation).toEqual([20, 28, 31, 40, -500].map((c) => interpolationExposure(refs, c)));
    // Where the sample has data, the two estimates agree (a few hundred references below).
    for (const i of [1, 2]) expect(Math.abs(extrapolation[i]! - interpolation[i]!)).toBeLessThan(0.15);
    // A canary far below every reference: interpolation saturates at log2 N, extrapolation goes on.
    expect(interpolation[4]).toBe(Math.log2(5000));
    expect(Number.isFinite(extrapolation[4]!)).toBe(true);
    expect(extrapolation[4]!).toBeGreaterThan(1000);
    expect(extrapolation[3]!).toBeGreaterThanOrEqual(0);
    // extrapolation = -log2 CDF where the CDF is representable.
    const fit = est.reference.skewNormal!;
    expect(extrapolationExposure(fit, 28)).toBeCloseTo(-Math.log2(skewNormalCdf(fit, 28)), 10);
  });

  it('rejects no references and non-finite scores', () => {
    const refs = sample(MIN_REFERENCES, 'estimate-errors');
    expect(() => estimateExposures({ a: [1] }, [])).toThrow(InvalidArgumentError);
    expect(() => estimateExposures({ a: [1] }, [...refs.slice(1), NaN])).toThrow(InvalidArgumentError);
    expect(() => estimateExposures({ a: [Infinity] }, refs)).toThrow(/canary 'a'/);
  });

  it('few references: extrapolation with a warning below MIN_REFERENCES, none (null, with the reason) where no fit exists', () => {
    const refs = sample(MIN_REFERENCES, 'estimate-few');
    expect(estimateExposures({ a: [25] }, refs).warning).toBeUndefined();
    const few = estimateExposures({ a: [25, 40] }, refs.slice(1));
    expect(few.warning).toMatch(new RegExp(`${MIN_REFERENCES - 1} reference scores .*unreliable`));
    expect(few.reference.skewNormal).not.toBeNull();
    expect(few.exposures['a']!.extrapolation!.every(Number.isFinite)).toBe(true);
    for (const n of [1, MIN_FIT_REFERENCES - 1]) {
      const e = estimateExposures({ a: [25] }, refs.slice(0, n));
      expect(e.exposures['a']!.interpolation).toEqual([interpolationExposure(refs.slice(0, n), 25)]);
      expect(e.exposures['a']!.extrapolation).toBeNull();
      expect(e.reference.skewNormal).toBeNull();
      expect(e.warning).toMatch(new RegExp(`needs at least ${MIN_FIT_REFERENCES} reference scores, got ${n}`));
    }
    const same = estimateExposures({ a: [2, 3, 4] }, new Array<number>(20).fill(3));
    expect(same.exposures['a']!.interpolation).toEqual([Math.log2(20), Math.log2(20) - Math.log2(21), Math.log2(20) - Math.log2(21)]);
    expect(same.exposures['a']!.extrapolation).toBeNull();
    expect(same.warning).toMatch(/equal/);
  });

  it("reproduces TensorFlow Privacy's secret_sharer interpolation example (16 references)", () => {
    // exposures_test.py: references 1..16; secrets 0 and 0.1 rank first, 20 ranks last (17th),
    // 3.5 ranks 4th (three references below it).
    const refs = Array.from({ length: 16 }, (_, i) => i + 1);
    const e = estimateExposures({ '1': [0, 0.1], '2': [20], '5': [3.5], '8': [3.5] }, refs);
    expect(e.exposures['1']!.interpolation).toEqual([4, 4]);
    expect(e.exposures['2']!.interpolation[0]).toBeCloseTo(4 - Math.log2(17), 12);
    expect(e.exposures['5']!.interpolation).toEqual([2]);
    expect(e.exposures['8']!.interpolation).toEqual([2]);
    expect(e.warning).toMatch(/16 reference scores .*unreliable/);
    // The fitted extrapolation still orders the canaries as their log-perplexities do.
    const x = [e.exposures['1']!.extrapolation![0]!, e.exposures['5']!.extrapolation![0]!, e.exposures['2']!.extrapolation![0]!];
    expect(x[0]!).toBeGreaterThan(x[1]!);
    expect(x[1]!).toBeGreaterThan(x[2]!);
  });
});
