import { describe, expect, it } from 'vitest';
import { restoreSeededRandom, secureRandom, seededRandom } from '../../src/util/random.js';

describe('seeded random source', () => {
  it('is reproducible from its seed and differs across seeds', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const xa = Array.from({ length: 5 }, () => a.uniform());
    const xb = Array.from({ length: 5 }, () => b.uniform());
    const xc = Array.from({ length: 5 }, () => c.uniform());
    expect(xa).toEqual(xb);
    expect(xa).not.toEqual(xc);
  });

  it('restores exactly from a saved state', () => {
    const a = seededRandom('s');
    for (let i = 0; i < 100; i++) a.uniform();
    const saved = JSON.parse(JSON.stringify(a.state()));
    const expected = Array.from({ length: 10 }, () => a.uniform());
    const b = restoreSeededRandom(saved);
    expect(Array.from({ length: 10 }, () => b.uniform())).toEqual(expected);
  });

  it('forks independent, deterministic children', () => {
    const x = seededRandom(1).fork('noise/step-1').uniform();
    expect(seededRandom(1).fork('noise/step-1').uniform()).toBe(x);
    expect(seededRandom(1).fork('noise/step-2').uniform()).not.toBe(x);
  });

  it('int(n) is uniform: chi-square test over 10 bins (fixed seed)', () => {
    const r = seededRandom(7);
    const counts = new Array<number>(10).fill(0);
    const n = 100_000;
    for (let i = 0; i < n; i++) counts[r.int(10)]! += 1;
    const e = n / 10;
    const chi2 = counts.reduce((s, c) => s + (c - e) ** 2 / e, 0);
    // 9 degrees of freedom: P(chi2 > 27.88) = 0.001.
    expect(chi2).toBeLessThan(27.88);
  });

  for (const [label, make] of [
    ['seeded', () => seededRandom(3)],
    ['secure', () => secureRandom()],
  ] as const) {
    it(`${label}: normal draws have mean 0 and variance 1 within 5 standard errors`, () => {
      const out = new Float64Array(200_000);
      make().fillNormal(out);
      const n = out.length;
      const mean = out.reduce((s, v) => s + v, 0) / n;
      const variance = out.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1);
      expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(n));
      // Var of the sample variance of N(0,1) is 2/(n-1).
      expect(Math.abs(variance - 1)).toBeLessThan(5 * Math.sqrt(2 / (n - 1)));
      // Tail mass beyond 1.96 is 5%.
      const tail = out.filter((v) => Math.abs(v) > 1.959964).length / n;
      expect(Math.abs(tail - 0.05)).toBeLessThan(5 * Math.sqrt(0.05 * 0.95 / n));
      // Beyond 3 sigma: 0.26998%; within 1 sigma: 68.269%; the sign is symmetric.
      const far = out.filter((v) => Math.abs(v) > 3).length / n;
      expect(Math.abs(far - 0.0026998)).toBeLessThan(5 * Math.sqrt(0.0026998 * (1 - 0.0026998) / n));
      const near = out.filter((v) => Math.abs(v) < 1).length / n;
      expect(Math.abs(near - 0.6826895)).toBeLessThan(5 * Math.sqrt(0.6826895 * (1 - 0.6826895) / n));
      const positive = out.filter((v) => v > 0).length / n;
      expect(Math.abs(positive - 0.5)).toBeLessThan(5 * Math.sqrt(0.25 / n));
    });
  }

  it('secure source reports its kind and has no restorable state', () => {
    const s = secureRandom();
    expect(s.kind).toBe('secure');
    expect(s.state()).toBeNull();
    const u = s.uniform();
    expect(u).toBeGreaterThanOrEqual(0);
    expect(u).toBeLessThan(1);
  });
});
