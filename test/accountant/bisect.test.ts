import { describe, expect, it } from 'vitest';
import { bisectDown, largestFitting } from '../../src/accountant/bisect.js';
import { seededRandom } from '../../src/util/random.js';

describe('bisectDown', () => {
  it('returns a sigma on the safe side, within the tolerance of the exact crossing (closed form a / sigma^p)', () => {
    const r = seededRandom('bisect');
    for (let trial = 0; trial < 200; trial++) {
      const a = 0.1 + 10 * r.uniform();
      const p = 0.5 + 2 * r.uniform();
      const f = (s: number): number => a / s ** p;
      const target = 0.05 + 5 * r.uniform();
      const exact = (a / target) ** (1 / p); // f(exact) = target
      const lo = exact * (0.1 + 0.8 * r.uniform());
      const hi = exact * (1.01 + 4 * r.uniform());
      const relTol = 10 ** -(3 + r.int(6));
      const out = bisectDown(f, (e) => e, target, lo, hi, f(hi), relTol);
      expect(out.atHi).toBe(f(out.hi));
      expect(f(out.hi)).toBeLessThanOrEqual(target);
      expect(out.hi).toBeGreaterThanOrEqual(exact * (1 - 1e-12));
      expect(out.hi).toBeLessThanOrEqual(exact * (1 + 2 * relTol));
    }
  });
});

describe('largestFitting', () => {
  it('finds the largest n with n^2 <= c (closed form floor(sqrt(c))), with and without a limit', () => {
    const r = seededRandom('largest');
    for (let trial = 0; trial < 300; trial++) {
      const c = r.int(1_000_000);
      const exact = Math.floor(Math.sqrt(c));
      const fits = (n: number): boolean => n * n <= c;
      expect(largestFitting(fits, 0)).toBe(exact);
      const limit = r.int(2000);
      expect(largestFitting(fits, 0, limit)).toBe(Math.min(exact, limit));
    }
    expect(largestFitting(() => true, 0)).toBe(Infinity);
  });
});
