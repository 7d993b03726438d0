import { describe, expect, it } from 'vitest';
import { owensT } from '../../src/canary/owens-t.js';
import { logNormalCdf, normalCdf } from '../../src/canary/normal.js';
import {
  type SkewNormal,
  fitSkewNormal,
  skewNormalCdf,
  skewNormalLogCdf,
  skewNormalLogPdf,
  skewNormalMoments,
} from '../../src/canary/skew-normal.js';
import { seededRandom } from '../../src/util/random.js';

/** Composite Simpson rule with n (even) panels: an independent integrator for checks. */
function simpson(f: (x: number) => number, a: number, b: number, n = 20000): number {
  const h = (b - a) / n;
  let s = f(a) + f(b);
  for (let i = 1; i < n; i++) s += (i % 2 === 1 ? 4 : 2) * f(a + i * h);
  return (s * h) / 3;
}

function owensTBySimpson(h: number, a: number): number {
  return simpson((x) => Math.exp((-h * h * (1 + x * x)) / 2) / (1 + x * x), 0, a) / (2 * Math.PI);
}

describe("Owen's T", () => {
  it('matches the closed forms T(h,0) = 0, T(0,a) = atan(a)/2pi, T(h,1) = Phi(h)(1-Phi(h))/2', () => {
    for (const h of [0, 0.3, 1, 2.5, 6, -1.7]) expect(owensT(h, 0)).toBe(0);
    for (const a of [0.1, 0.5, 1, 2, 10, 1e3, -3]) expect(owensT(0, a)).toBeCloseTo(Math.atan(a) / (2 * Math.PI), 14);
    for (const h of [0, 0.5, 1, 2, 3, 5, -2]) {
      const p = normalCdf(h);
      const expected = (p * (1 - p)) / 2;
      expect(Math.abs(owensT(h, 1) - expected)).toBeLessThan(1e-15 + 1e-12 * expected);
    }
    // T(h, inf) = Q(|h|)/2.
    expect(owensT(1.5, Infinity)).toBeCloseTo((1 - normalCdf(1.5)) / 2, 15);
  });

  it('agrees with reference values and with independent quadrature on both sides of a = 1', () => {
    // Reference values from Boost.Math's owens_t test data (agreeing with SciPy's owens_t).
    expect(owensT(0.0625, 0.25) / 0.0389119302347702 - 1).toBeLessThan(1e-12);
    expect(Math.abs(owensT(6.5, 0.4375) / 2.00057730485083e-11 - 1)).toBeLessThan(1e-10);
    for (const [h, a] of [
      [0.5, 0.3],
      [1.2, 0.9],
      [0.7, 3],
      [2, 1.7],
      [0.1, 25],
      [3, 5],
    ] as const) {
      const ref = owensTBySimpson(h, a);
      expect(Math.abs(owensT(h, a) - ref)).toBeLessThan(1e-12 * Math.max(ref, 1e-3));
    }
    // Symmetries: even in h, odd in a.
    expect(owensT(-1.3, 2.2)).toBe(owensT(1.3, 2.2));
    expect(owensT(1.3, -2.2)).toBe(-owensT(1.3, 2.2));
  });
});

describe('skew-normal distribution', () => {
  it('shape 0 is the normal distribution', () => {
    const d: SkewNormal = { shape: 0, location: 1, scale: 2 };
    for (const x of [-5, -1, 0, 1, 2.5, 7]) expect(skewNormalCdf(d, x)).toBeCloseTo(normalCdf((x - 1) / 2), 13);
  });

  it('shape +1 and -1 have closed forms Phi(z)^2 and 1-(1-Phi(z))^2, deep into the lower tail', () => {
    for (const z of [-3, -1, 0, 0.5, 2]) {
      const p = normalCdf(z);
      expect(skewNormalCdf({ shape: 1, location: 0, scale: 1 }, z)).toBeCloseTo(p * p, 12);
      expect(skewNormalCdf({ shape: -1, location: 0, scale: 1 }, z)).toBeCloseTo(1 - (1 - p) ** 2, 12);
    }
    // Where the CDF itself underflows, ln F still follows the closed forms.
    for (const z of [-5, -12, -40, -300]) {
      const lp = logNormalCdf(z);
      const plus = skewNormalLogCdf({ shape: 1, location: 0, scale: 1 }, z);
      const minus = skewNormalLogCdf({ shape: -1, location: 0, scale: 1 }, z);
      expect(Math.abs(plus / (2 * lp) - 1)).toBeLessThan(1e-9);
      // 1 - (1 - p)^2 = p (2 - p)
      expect(Math.abs(minus / (lp + Math.log(2 - Math.exp(lp))) - 1)).toBeLessThan(1e-9);
    }
  });

  it('the CDF is the integral of the density, and the two CDF methods meet continuously', () => {
    for (const shape of [3, -4, 0.7]) {
      const d: SkewNormal = { shape, location: 2, scale: 1.5 };
      for (const x of [-1, 1.5, 2, 4]) {
        const ref = simpson((t) => Math.exp(skewNormalLogPdf(d, t)), -30, x, 40000);
        expect(skewNormalCdf(d, x)).toBeCloseTo(ref, 10);
      }
    }
    // Sweep across the switch between Owen's T and the log-space tail integral.
    const d: SkewNormal = { shape: 2.5, location: 0, scale: 1 };
    let prev = skewNormalLogCdf(d, -1);
    for (let x = -1.01; x > -4; x -= 0.01) {
      const cur = skewNormalLogCdf(d, x);
      expect(cur).toBeLessThan(prev);
      expect(prev - cur).toBeLessThan(0.5);
      prev = cur;
    }
  });

  it('maximum likelihood recovers the parameters of synthetic skew-normal data', () => {
    const cases: SkewNormal[] = [
      { shape: 4, location: 10, scale: 2 },
      { shape: -2.5, location: -3, scale: 0.5 },
      { shape: 1.5, location: 40, scale: 6 },
    ];
    cases.forEach((truth, k) => {
      const rng = seededRandom(`skew-normal-fit-${k}`);
      const n = 20000;
      const u0 = new Float64Array(n);
      const u1 = new Float64Array(n);
      rng.fillNormal(u0);
      rng.fillNormal(u1);
      const delta = truth.shape / Math.sqrt(1 + truth.shape ** 2);
      const xs = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        xs[i] = truth.location + truth.scale * (delta * Math.abs(u0[i]!) + Math.sqrt(1 - delta * delta) * u1[i]!);
      }
      const fit = fitSkewNormal(xs);
      // Tolerances are about 4 standard errors at n = 20000.
      const fitDelta = fit.shape / Math.sqrt(1 + fit.shape ** 2);
      expect(Math.abs(fitDelta - delta)).toBeLessThan(0.03);
      expect(Math.abs(fit.location - truth.location)).toBeLessThan(0.05 * truth.scale);
      expect(Math.abs(fit.scale / truth.scale - 1)).toBeLessThan(0.04);
      // The MLE is at least as likely as the method-of-moments start.
      const ll = (d: SkewNormal): number => xs.reduce((s, x) => s + skewNormalLogPdf(d, x), 0);
      expect(ll(fit)).toBeGreaterThanOrEqual(ll(skewNormalMoments(xs)) - 1e-6);
    });
  });
});
