import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ORDERS,
  sampledGaussianRdp,
} from '../../src/accountant/index.js';
import { DP_ACCOUNTING_ORDERS } from '../../src/accountant/orders.js';
import { singleStepRdp } from '../../src/accountant/rdp.js';
import { fractionalOrderSeries } from '../../src/accountant/rdp-series.js';
import { preciseLogA } from '../../src/accountant/rdp-precise.js';
import { InvalidArgumentError } from '../../src/util/errors.js';
import { decimalIntegerRdp, naiveSeriesRdp, quadratureRdp } from './reference.js';

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

describe('sampledGaussianRdp: special cases', () => {
  it('q = 1 is the Gaussian mechanism: alpha / (2 sigma^2), integer and fractional orders', () => {
    const orders = [1.1, 1.5, 2, 3.7, 32, 1024];
    for (const sigma of [0.3, 1, 4.2]) {
      const r = sampledGaussianRdp(1, sigma, orders);
      orders.forEach((a, i) => expect(rel(r[i]!, a / (2 * sigma * sigma))).toBeLessThan(1e-15));
    }
  });

  it('q = 0 costs nothing; sigma = 0 with q > 0 is infinite; count multiplies', () => {
    expect(sampledGaussianRdp(0, 1, [1.5, 2, 64])).toEqual([0, 0, 0]);
    expect(sampledGaussianRdp(0, 0, [1.5, 2])).toEqual([0, 0]);
    expect(sampledGaussianRdp(0.1, 0, [1.5, 2])).toEqual([Infinity, Infinity]);
    const one = sampledGaussianRdp(0.02, 1.3, [1.5, 8])[1]!;
    const many = sampledGaussianRdp(0.02, 1.3, [1.5, 8], 1000)[1]!;
    expect(rel(many, 1000 * one)).toBeLessThan(1e-14);
    expect(many).toBeGreaterThanOrEqual(1000 * one);
    expect(sampledGaussianRdp(0.02, 1.3, [2], 0)).toEqual([0]);
  });

  it('approaches the Gaussian value as q -> 1 from below, never above it', () => {
    for (const a of [1.5, 4, 10.5]) {
      const g = a / 2;
      const r = sampledGaussianRdp(1 - 1e-9, 1, [a])[0]!;
      expect(r).toBeLessThanOrEqual(g * (1 + 1e-12));
      expect(rel(r, g)).toBeLessThan(1e-6);
    }
  });

  it('rejects invalid arguments with InvalidArgumentError', () => {
    expect(() => sampledGaussianRdp(-0.1, 1, [2])).toThrow(InvalidArgumentError);
    expect(() => sampledGaussianRdp(1.1, 1, [2])).toThrow(InvalidArgumentError);
    expect(() => sampledGaussianRdp(NaN, 1, [2])).toThrow(InvalidArgumentError);
    expect(() => sampledGaussianRdp(0.1, -1, [2])).toThrow(InvalidArgumentError);
    expect(() => sampledGaussianRdp(0.1, NaN, [2])).toThrow(InvalidArgumentError);
    expect(() => sampledGaussianRdp(0.1, 1, [1])).toThrow(InvalidArgumentError);
    expect(() => sampledGaussianRdp(0.1, 1, [2e6])).toThrow(InvalidArgumentError);
    expect(() => sampledGaussianRdp(0.1, 1, [Infinity])).toThrow(InvalidArgumentError);
    expect(() => sampledGaussianRdp(0.1, 1, [])).toThrow(InvalidArgumentError);
    expect(() => sampledGaussianRdp(0.1, 1, [2], 1.5)).toThrow(InvalidArgumentError);
    expect(() => sampledGaussianRdp(0.1, 1, [2], -1)).toThrow(InvalidArgumentError);
  });
});

describe('sampledGaussianRdp: monotonicity', () => {
  const orders = DEFAULT_ORDERS;

  it('nondecreasing in the order alpha (a property of Renyi divergence)', () => {
    for (const [q, s] of [
      [0.01, 1.1],
      [256 / 60000, 1.1],
      [0.1, 0.8],
      [0.001, 4],
      [0.5, 2],
    ] as const) {
      const r = sampledGaussianRdp(q, s, orders);
      for (let i = 1; i < r.length; i++) expect(r[i]!).toBeGreaterThanOrEqual(r[i - 1]! * (1 - 1e-12));
    }
  });

  it('increasing in q and decreasing in sigma', () => {
    const a = [1.5, 2, 7.3, 32];
    const qs = [1e-5, 1e-3, 0.01, 0.05, 0.2, 0.6, 0.99];
    for (let i = 1; i < qs.length; i++) {
      const lo = sampledGaussianRdp(qs[i - 1]!, 1.2, a);
      const hi = sampledGaussianRdp(qs[i]!, 1.2, a);
      a.forEach((_, j) => expect(hi[j]!).toBeGreaterThan(lo[j]!));
    }
    const sigmas = [0.6, 0.9, 1.3, 2, 5, 20];
    for (let i = 1; i < sigmas.length; i++) {
      const more = sampledGaussianRdp(0.02, sigmas[i - 1]!, a);
      const less = sampledGaussianRdp(0.02, sigmas[i]!, a);
      a.forEach((_, j) => expect(less[j]!).toBeLessThan(more[j]!));
    }
  });
});

describe('integer orders: decimal.js cross-check (60 digits, plain binomial expansion)', () => {
  const cases: [number, number][] = [
    [1e-6, 1],
    [256 / 60000, 1.1],
    [0.01, 2.5],
    [0.1, 0.7],
    [0.5, 3],
    [0.999, 1.5],
  ];
  for (const [q, s] of cases) {
    it(`q = ${q}, sigma = ${s}`, () => {
      for (const a of [2, 3, 5, 17, 32, 63, 128]) {
        const exact = decimalIntegerRdp(q, s, a);
        const got = sampledGaussianRdp(q, s, [a])[0]!;
        expect(rel(got, exact)).toBeLessThan(1e-10);
        expect(got).toBeGreaterThanOrEqual(exact); // an upper bound, never below
      }
    });
  }
  it('order 1024 at the MNIST setting', () => {
    const exact = decimalIntegerRdp(256 / 60000, 1.1, 1024, 80);
    const got = sampledGaussianRdp(256 / 60000, 1.1, [1024])[0]!;
    expect(rel(got, exact)).toBeLessThan(1e-10);
    expect(got).toBeGreaterThanOrEqual(exact);
  });
});

describe('fractional orders', () => {
  // Quadrature of a positive integrand: independent of the series, accurate to ~1e-10 here.
  const cases: [number, number, number][] = [
    [256 / 60000, 1.1, 1.1],
    [256 / 60000, 1.1, 8.1],
    [0.01, 2.5, 1.5],
    [0.01, 2.5, 2.5],
    [0.1, 1, 3.7],
    [0.05, 0.8, 10.9],
    [1e-4, 1, 1.5],
    [0.5, 3, 2.5],
    [0.9, 10, 2.5],
    [0.1, 100, 20.5],
  ];
  for (const [q, s, a] of cases) {
    it(`matches quadrature at q = ${q}, sigma = ${s}, alpha = ${a}`, () => {
      const ref = quadratureRdp(q, s, a);
      const got = sampledGaussianRdp(q, s, [a])[0]!;
      expect(rel(got, ref)).toBeLessThan(1e-8);
    });
  }

  it('float64 path and decimal.js path agree, and the float bound covers the difference', () => {
    for (const [q, s, a] of [
      [0.01, 0.5, 20.5],
      [0.2, 2, 100.5],
      [256 / 60000, 1.1, 4.4],
      [0.5, 1, 2.5],
    ] as const) {
      const f = fractionalOrderSeries(q, s, a)!;
      const p = preciseLogA(q, s, a)!;
      expect(f).not.toBeNull();
      expect(p).not.toBeNull();
      const floatLogA = f.logDeltaA < 0 ? Math.log1p(Math.exp(f.logDeltaA)) : f.logDeltaA + Math.log1p(Math.exp(-f.logDeltaA));
      expect(rel(floatLogA, p.logA)).toBeLessThanOrEqual(Math.max(f.relErr, 1e-13));
      expect(sampledGaussianRdp(q, s, [a])[0]!).toBeGreaterThanOrEqual((p.logA / (a - 1)) * (1 - 1e-13));
    }
  });

  it('large sigma with q < 1/2 stays in float64 (paired series) and matches quadrature', () => {
    for (const [q, s, a] of [
      [0.01, 50, 1.5],
      [0.3, 20, 3.5],
      [1e-4, 20, 10.5],
      [0.45, 8, 2.2],
    ] as const) {
      const r = singleStepRdp(q, s, a);
      expect(r.method).toBe('float-series');
      expect(rel(r.rdp, quadratureRdp(q, s, a))).toBeLessThan(1e-8);
    }
  });

  it('large sigma with q > 1/2 stays in float64 (mirrored pairing) and matches quadrature', () => {
    for (const [q, s, a] of [
      [0.999, 100, 2.5],
      [0.9, 30, 1.5],
      [0.6, 20, 7.5],
    ] as const) {
      const r = singleStepRdp(q, s, a);
      expect(r.method).toBe('float-series');
      expect(rel(r.rdp, quadratureRdp(q, s, a))).toBeLessThan(1e-8);
    }
  });

  it('the hard regime left (q = 1/2, large sigma, alpha near 1) falls back to decimal.js and stays exact', () => {
    const q = 0.5;
    const s = 50;
    const a = 1.5;
    const r = singleStepRdp(q, s, a);
    expect(r.method).toBe('decimal');
    expect(rel(r.rdp, quadratureRdp(q, s, a))).toBeLessThan(1e-8);
  });

  it('log A is convex in alpha: fractional values lie below the chord of their integer neighbours', () => {
    for (const [q, s] of [
      [0.01, 1],
      [0.2, 0.9],
      [1e-4, 3],
    ] as const) {
      for (const a of [2.3, 5.5, 11.8, 40.2]) {
        const lo = Math.floor(a);
        const [rlo, ra, rhi] = sampledGaussianRdp(q, s, [lo, a, lo + 1]);
        const t = a - lo;
        const chord = (1 - t) * (lo - 1) * rlo! + t * lo * rhi!;
        expect((a - 1) * ra!).toBeLessThanOrEqual(chord * (1 + 1e-12));
      }
    }
  });
});

describe('cancellation: where naive float64 summation fails', () => {
  it('tiny q: the naive signed series loses A - 1 = O(q^2); ours matches high precision', () => {
    const q = 1e-6;
    const s = 1;
    for (const a of [1.5, 2.5, 6.5]) {
      const ref = quadratureRdp(q, s, a);
      const ours = sampledGaussianRdp(q, s, [a])[0]!;
      const naive = naiveSeriesRdp(q, s, a);
      expect(rel(ours, ref)).toBeLessThan(1e-8);
      expect(rel(naive, ref)).toBeGreaterThan(1e-6);
    }
  });

  it("dp_accounting's absolute-value sum overstates: its published 6.7058e-4 at alpha = 1.5", () => {
    // rdp_privacy_accountant_test.py: q = 0.01, sigma = 2.5, 50 steps, order 1.5 -> 6.70579741e-04
    // (absolute values summed). The exact value (quadrature) is about 3% lower.
    const ours = sampledGaussianRdp(0.01, 2.5, [1.5], 50)[0]!;
    expect(rel(ours, 50 * quadratureRdp(0.01, 2.5, 1.5))).toBeLessThan(1e-8);
    expect(ours).toBeLessThan(6.70579741e-4);
    expect(ours).toBeGreaterThan(0.9 * 6.70579741e-4);
    // Our own float64 absolute-value sum reproduces their number.
    expect(rel(50 * naiveSeriesRdp(0.01, 2.5, 1.5, true), 6.70579741e-4)).toBeLessThan(1e-4);
  });
});

describe('published values', () => {
  it("dp_accounting's test vector at integer orders (q = 0.01, sigma = 2.5, 50 steps)", () => {
    // rdp_privacy_accountant_test.py, test_compute_rdp_poisson_sampled_gaussian.
    const r = sampledGaussianRdp(0.01, 2.5, [5, 50, 100, 2.5], 50);
    expect(rel(r[0]!, 2.18075656e-3)).toBeLessThan(1e-7);
    expect(rel(r[1]!, 2.38460375e-2)).toBeLessThan(1e-7);
    expect(rel(r[2]!, 1.67416308e2)).toBeLessThan(1e-7);
    expect(rel(r[3]!, 1.0854871e-3)).toBeLessThan(1e-4); // their rtol; theirs sums |terms|
  });

  it('DEFAULT_ORDERS contains dp_accounting defaults', () => {
    expect(DP_ACCOUNTING_ORDERS.length).toBe(99 + 53 + 4);
    for (const a of DP_ACCOUNTING_ORDERS) expect(DEFAULT_ORDERS).toContain(a);
    expect(DEFAULT_ORDERS).toContain(1.1);
    expect(DEFAULT_ORDERS).toContain(10.9);
    expect(DEFAULT_ORDERS).toContain(63);
    expect(DEFAULT_ORDERS).toContain(1024);
  });
});
