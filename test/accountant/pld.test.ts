import { describe, expect, it } from 'vitest';
import erfc from '@stdlib/math-base-special-erfc';
import erfcx from '@stdlib/math-base-special-erfcx';
import {
  PldAccountant,
  RdpAccountant,
  calibrateNoise,
  dpSgdEvent,
  gaussianEvent,
  nonPrivateEvent,
  sampledGaussianEvent,
} from '../../src/accountant/index.js';
import { pldEpsilonForPhases } from '../../src/accountant/pld/index.js';
import { fft } from '../../src/accountant/pld/fft.js';
import { discretizeSampledGaussian, type DiscretePld, type Direction } from '../../src/accountant/pld/discretize.js';
import { composePhases, pldDelta, type ComposedPld } from '../../src/accountant/pld/compose.js';
import { InvalidArgumentError } from '../../src/util/errors.js';

// ---- Independent references (closed forms, not the code under test) ----

/** Standard normal CDF. */
const Phi = (x: number): number => 0.5 * erfc(-x / Math.SQRT2);

/**
 * Hockey-stick divergence of one Poisson-subsampled Gaussian step, direct from its definition
 * delta(eps) = P(L > eps) - e^eps Q(L > eps) with the loss monotone in x (mixtures of N(0, s^2)
 * and N(1, s^2)); q = 1 gives the plain Gaussian mechanism.
 */
function subsampledDelta(q: number, s: number, eps: number, dir: Direction): number {
  const y = Math.exp(eps);
  if (dir === 'remove') {
    // P = (1-q) N0 + q N1, Q = N0, L > eps iff x > x*.
    if (y <= 1 - q) return 1 - y;
    const x = s * s * Math.log((y - 1 + q) / q) + 0.5;
    const tail0 = Phi(-x / s);
    const tail1 = Phi(-(x - 1) / s);
    return (1 - q) * tail0 + q * tail1 - y * tail0;
  }
  // P = N0, Q = (1-q) N0 + q N1, L > eps iff x < x*.
  const z = 1 / y;
  if (z <= 1 - q) return 0;
  const x = s * s * Math.log((z - 1 + q) / q) + 0.5;
  return Phi(x / s) - y * ((1 - q) * Phi(x / s) + q * Phi((x - 1) / s));
}

/** Balle and Wang 2018, Thm 8: the exact delta(eps) of the Gaussian mechanism, sensitivity 1, std s. */
const gaussianDelta = (s: number, eps: number): number => Phi(-eps * s + 1 / (2 * s)) - Math.exp(eps) * Phi(-eps * s - 1 / (2 * s));

/** Exact epsilon of the Gaussian mechanism at delta, by bisection on the closed form. */
function gaussianEpsilon(s: number, delta: number): number {
  let lo = 0;
  let hi = 1e4;
  for (let i = 0; i < 200; i++) {
    const m = 0.5 * (lo + hi);
    if (gaussianDelta(s, m) > delta) lo = m;
    else hi = m;
  }
  return hi;
}

/** A single-step discrete PLD viewed as a composed one (no slack), to evaluate its delta curve. */
function asComposed(p: DiscretePld): ComposedPld {
  return { interval: p.interval, offset: p.offset, probs: p.probs, infinityMass: p.infinityMass, numericalSlack: 0, truncatedMass: 0 };
}

function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const pldEps = (q: number, s: number, t: number, delta = 1e-5): number => new PldAccountant().compose(dpSgdEvent(q, s, t)).epsilon(delta).epsilon;
const rdpEps = (q: number, s: number, t: number, delta = 1e-5): number => new RdpAccountant().compose(dpSgdEvent(q, s, t)).epsilon(delta).epsilon;

describe('FFT', () => {
  it('matches the naive DFT and inverts', () => {
    const rnd = lcg(7);
    for (const n of [1, 2, 8, 64, 256]) {
      const re = Float64Array.from({ length: n }, () => rnd() - 0.5);
      const im = Float64Array.from({ length: n }, () => rnd() - 0.5);
      const r2 = re.slice();
      const i2 = im.slice();
      fft(r2, i2);
      for (let k = 0; k < n; k++) {
        let sr = 0;
        let si = 0;
        for (let j = 0; j < n; j++) {
          const a = (-2 * Math.PI * j * k) / n;
          sr += re[j]! * Math.cos(a) - im[j]! * Math.sin(a);
          si += re[j]! * Math.sin(a) + im[j]! * Math.cos(a);
        }
        expect(Math.abs(r2[k]! - sr)).toBeLessThan(1e-12 * n);
        expect(Math.abs(i2[k]! - si)).toBeLessThan(1e-12 * n);
      }
      fft(r2, i2, true);
      for (let j = 0; j < n; j++) expect(Math.abs(r2[j]! / n - re[j]!)).toBeLessThan(1e-14 * n);
    }
    expect(() => fft(new Float64Array(3), new Float64Array(3))).toThrow();
  });
});

describe('one step, connect-the-dots discretization', () => {
  const cases: [number, number][] = [
    [1, 0.8],
    [1, 2],
    [0.05, 1],
    [256 / 60000, 1.1],
  ];
  for (const [q, s] of cases) {
    for (const dir of ['remove', 'add'] as const) {
      it(`q=${q} sigma=${s} ${dir}: a distribution whose delta equals the exact one on the grid and dominates it between`, () => {
        const h = 0.01;
        const p = discretizeSampledGaussian(q, s, h, dir)!;
        let mass = p.infinityMass;
        let qMass = 0;
        p.probs.forEach((v, j) => {
          expect(v).toBeGreaterThanOrEqual(0);
          mass += v;
          qMass += v * Math.exp(-(p.offset + j) * h);
        });
        expect(Math.abs(mass - 1)).toBeLessThan(1e-12);
        // A genuine pair: the Q-side mass of the finite losses is at most 1.
        expect(qMass).toBeLessThanOrEqual(1 + 1e-12);
        const c = asComposed(p);
        for (let j = 0; j < p.probs.length; j += Math.max(1, Math.floor(p.probs.length / 60))) {
          const eps = (p.offset + j) * h;
          const exact = subsampledDelta(q, s, eps, dir);
          expect(Math.abs(pldDelta(c, eps) - exact)).toBeLessThan(1e-12 + 1e-9 * exact);
          const mid = eps + h / 2;
          expect(pldDelta(c, mid)).toBeGreaterThanOrEqual(subsampledDelta(q, s, mid, dir) * (1 - 1e-9) - 1e-14);
        }
      });
    }
  }
});

describe('FFT composition', () => {
  it('equals brute-force convolution (within its stated slack), carrying the outside mass into delta', () => {
    const p = discretizeSampledGaussian(0.2, 1, 0.05, 'remove')!;
    const count = 6;
    // Brute force: repeated direct convolution of the finite part.
    let dist = new Float64Array([1]);
    let offset = 0;
    for (let i = 0; i < count; i++) {
      const next = new Float64Array(dist.length + p.probs.length - 1);
      dist.forEach((a, j) => p.probs.forEach((b, k) => (next[j + k] = next[j + k]! + a * b)));
      dist = next;
      offset += p.offset;
    }
    const brute: ComposedPld = {
      interval: p.interval, offset, probs: dist, infinityMass: 1 - (1 - p.infinityMass) ** count, numericalSlack: 0, truncatedMass: 0,
    };
    const c = composePhases([{ pld: p, count: 3, errorBound: 0 }, { pld: p, count: 3, errorBound: 0 }])!;
    let l1 = 0;
    dist.forEach((v, j) => {
      const k = offset + j - c.offset;
      const w = k >= 0 && k < c.probs.length ? c.probs[k]! : 0;
      l1 += Math.abs(w - v);
    });
    expect(l1).toBeLessThanOrEqual(c.numericalSlack + c.truncatedMass);
    for (const eps of [0, 0.5, 1, 2, 4]) {
      expect(pldDelta(c, eps)).toBeGreaterThanOrEqual(pldDelta(brute, eps));
      expect(pldDelta(c, eps) - pldDelta(brute, eps)).toBeLessThan(1e-9);
    }
  });
});

describe('PLD accountant against independent facts', () => {
  it('T Gaussian mechanisms (q = 1): never below the exact curve of Balle and Wang (sigma / sqrt T), within 0.2%', () => {
    for (const [s, t] of [
      [0.5, 1],
      [1, 1],
      [2, 1],
      [5, 1],
      [1, 10],
      [3, 100],
    ] as const) {
      for (const delta of [1e-3, 1e-5, 1e-8]) {
        const exact = gaussianEpsilon(s / Math.sqrt(t), delta);
        const acc = new PldAccountant().compose(gaussianEvent(s), t);
        const r = acc.epsilon(delta);
        expect(r.accountant).toBe('pld');
        expect(r.epsilon).toBeGreaterThanOrEqual(exact);
        expect((r.epsilon - exact) / exact).toBeLessThan(2e-3);
        // And delta at the exact epsilon is at least delta.
        expect(acc.delta(exact).delta).toBeGreaterThanOrEqual(delta * (1 - 1e-12));
      }
    }
  });

  it("TF Privacy's MNIST example (q = 256/60000, sigma 1.1, 14063 steps, delta 1e-5): about 2.38, at most 2.40, below RDP's 2.5967", () => {
    const r = new PldAccountant().compose(dpSgdEvent(256 / 60000, 1.1, 14063)).epsilon(1e-5);
    expect(r.accountant).toBe('pld');
    // dp_accounting's PLD accountant and Opacus's PRV accountant give about 2.38 (issue 10).
    expect(r.epsilon).toBeGreaterThan(2.36);
    expect(r.epsilon).toBeLessThanOrEqual(2.4);
    expect(r.epsilon).toBeLessThan(rdpEps(256 / 60000, 1.1, 14063));
    // A finer grid moves the figure by less than the stated accuracy (0.5%), downwards.
    const fine = new PldAccountant({ interval: 2e-4 }).compose(dpSgdEvent(256 / 60000, 1.1, 14063)).epsilon(1e-5);
    expect(fine.epsilon).toBeLessThanOrEqual(r.epsilon);
    expect((r.epsilon - fine.epsilon) / fine.epsilon).toBeLessThan(0.005);
  });

  it('the raw PLD figure is never above RDP over a grid of q, sigma and steps', () => {
    for (const q of [1e-3, 0.01, 0.1, 1]) {
      for (const s of [0.7, 1, 2, 8]) {
        for (const t of [1, 100, 3000]) {
          const rdp = rdpEps(q, s, t);
          const p = pldEpsilonForPhases([sampledGaussianEvent(q, s, t)], 1e-5, { scale: rdp });
          expect(p).not.toBeNull();
          expect(p!.value).toBeLessThanOrEqual(rdp);
        }
      }
    }
  });

  it('grows with q and steps, shrinks with sigma', () => {
    const qs = [0.001, 0.004, 0.02, 0.1, 0.5].map((q) => pldEps(q, 1, 300));
    const ss = [0.6, 0.9, 1.5, 3, 10].map((s) => pldEps(0.02, s, 300));
    const ts = [1, 10, 100, 1000, 10000].map((t) => pldEps(0.02, 1, t));
    for (let i = 1; i < 5; i++) {
      expect(qs[i]!).toBeGreaterThan(qs[i - 1]!);
      expect(ss[i]!).toBeLessThan(ss[i - 1]!);
      expect(ts[i]!).toBeGreaterThan(ts[i - 1]!);
    }
  });

  it('heterogeneous phases: at least each phase alone, at most RDP of the whole; equal phases split or merged agree', () => {
    const a = dpSgdEvent(0.01, 1.2, 500);
    const b = dpSgdEvent(0.05, 2, 100);
    const both = new PldAccountant().compose(a).compose(b).epsilon(1e-5).epsilon;
    const onlyA = new PldAccountant().compose(a).epsilon(1e-5).epsilon;
    const onlyB = new PldAccountant().compose(b).epsilon(1e-5).epsilon;
    expect(both).toBeGreaterThan(Math.max(onlyA, onlyB));
    expect(both).toBeLessThanOrEqual(new RdpAccountant().compose(a).compose(b).epsilon(1e-5).epsilon);
    // Two phases of 250 steps (composed by multiplying transforms) against one of 500 (one power).
    const half = sampledGaussianEvent(0.01, 1.2, 250);
    const twice = pldEpsilonForPhases([half, half], 1e-5, { interval: 1e-3 })!.value;
    const once = pldEpsilonForPhases([sampledGaussianEvent(0.01, 1.2, 500)], 1e-5, { interval: 1e-3 })!.value;
    expect(Math.abs(twice - once) / once).toBeLessThan(1e-9);
  });

  it('delta and epsilon queries agree', () => {
    const acc = new PldAccountant({ interval: 1e-3 }).compose(dpSgdEvent(0.02, 1, 1000));
    const e = acc.epsilon(1e-6).epsilon;
    const d = acc.delta(e).delta;
    expect(d).toBeLessThanOrEqual(1e-6 * (1 + 1e-9));
    expect(d).toBeGreaterThan(0.9e-6);
    expect(acc.delta(e * 0.98).delta).toBeGreaterThan(1e-6);
  });
});

describe('where the PLD cannot certify, the RDP figure is reported and says so', () => {
  it('delta below the truncated and rounding mass', () => {
    const r = new PldAccountant().compose(dpSgdEvent(256 / 60000, 1.1, 14063)).epsilon(1e-30);
    expect(r.accountant).toBe('rdp');
    expect(r.note).toMatch(/below what the PLD can certify/);
    expect(r.epsilon).toBe(rdpEps(256 / 60000, 1.1, 14063, 1e-30));
  });

  it('a grid too large', () => {
    const r = new PldAccountant().compose(dpSgdEvent(1, 1e-4, 10)).epsilon(1e-5);
    expect(r.accountant).toBe('rdp');
    expect(r.note).toMatch(/too large/);
    expect(r.epsilon).toBe(rdpEps(1, 1e-4, 10));
  });

  it('non-private, nothing spent, bad options', () => {
    expect(new PldAccountant().compose(nonPrivateEvent()).epsilon(1e-5).epsilon).toBe(Infinity);
    expect(new PldAccountant().compose(dpSgdEvent(0.1, 0, 10)).epsilon(1e-5).epsilon).toBe(Infinity);
    expect(new PldAccountant().epsilon(1e-5).epsilon).toBe(0);
    expect(new PldAccountant().compose(dpSgdEvent(0, 1, 10)).epsilon(1e-5).epsilon).toBe(0);
    expect(() => new PldAccountant({ interval: 0 })).toThrow(InvalidArgumentError);
    expect(() => new PldAccountant({ accuracy: 2 })).toThrow(InvalidArgumentError);
    expect(() => new PldAccountant().epsilon(0)).toThrow(InvalidArgumentError);
  });
});

describe('calibration with the PLD accountant', () => {
  it('reaches the target, a 0.1% smaller sigma misses it, and sigma is below the RDP calibration', () => {
    const o = { targetEpsilon: 1, samplingRate: 0.01, steps: 1000, delta: 1e-5 };
    const r = calibrateNoise({ ...o, accountant: 'pld' });
    expect(r.accountant).toBe('pld');
    expect(r.epsilon).toBeLessThanOrEqual(1);
    const at = (s: number): number =>
      new PldAccountant({ interval: r.interval! }).compose(dpSgdEvent(0.01, s, 1000)).epsilon(1e-5).epsilon;
    expect(at(r.noiseMultiplier)).toBe(r.epsilon);
    expect(at(r.noiseMultiplier * 0.999)).toBeGreaterThan(1);
    expect(r.noiseMultiplier).toBeLessThan(calibrateNoise(o).noiseMultiplier);
  });
});

// ---- Large epsilons (issue 19): the PLD once reported the grid's top (~710 nats) there ----

/** ln Pr[Z > x] for a standard normal Z, without underflow (erfc(x) = erfcx(x) e^{-x^2}). */
function logUpperTail(x: number): number {
  return x > 0 ? Math.log(0.5 * erfcx(x / Math.SQRT2)) - (x * x) / 2 : Math.log(Phi(-x));
}

/** Balle and Wang's exact delta(eps) of the Gaussian mechanism with mu = 1 / s, in logs so that eps may be 10^5 nats. */
function gaussianDeltaLog(mu: number, eps: number): number {
  const a = logUpperTail(eps / mu - mu / 2);
  const b = logUpperTail(eps / mu + mu / 2);
  return Math.exp(a) * -Math.expm1(eps + b - a);
}

/** Exact epsilon of T compositions of the Gaussian mechanism with noise multiplier s (mu = sqrt(T) / s). */
function composedGaussianEpsilon(s: number, t: number, delta: number): number {
  const mu = Math.sqrt(t) / s;
  let lo = 0;
  let hi = 1;
  while (gaussianDeltaLog(mu, hi) > delta) hi *= 2;
  for (let i = 0; i < 100; i++) {
    const m = 0.5 * (lo + hi);
    if (gaussianDeltaLog(mu, m) > delta) lo = m;
    else hi = m;
  }
  return hi;
}

describe('large epsilons: the PLD figure is never below the truth', () => {
  it("the issue's cases (q = 1): at least Balle and Wang's exact epsilon, within 0.5%", () => {
    // Exact values as the oracle gave them: 948.9, 13,173.4, 2,009.8.
    for (const [s, t, exact] of [
      [0.8, 1000, 948.885],
      [2, 100000, 13173.35],
      [2, 14063, 2009.79],
    ] as const) {
      expect(composedGaussianEpsilon(s, t, 1e-5)).toBeCloseTo(exact, 1);
      const r = new PldAccountant().compose(dpSgdEvent(1, s, t)).epsilon(1e-5);
      expect(r.epsilon).toBeGreaterThanOrEqual(exact);
      expect(r.epsilon / exact - 1).toBeLessThan(5e-3);
    }
  });

  it('random (q, sigma, steps, delta) with epsilons from 10^2 to beyond 10^5: q = 1 never below exact; never above RDP unless it is the RDP figure', () => {
    const rand = lcg(19);
    let large = 0;
    for (let i = 0; i < 24; i++) {
      const q = i % 3 === 0 ? 1 : 10 ** (-2 * rand()); // 0.01 .. 1
      const s = 0.03 + 1.5 * rand() ** 2; // 0.03 .. 1.53: small sigmas make large epsilons
      const t = Math.round(10 ** (5 * rand())); // 1 .. 100,000
      const delta = rand() < 0.5 ? 1e-5 : 1e-6;
      const pld = new PldAccountant().compose(dpSgdEvent(q, s, Math.max(1, t))).epsilon(delta);
      const rdp = rdpEps(q, s, Math.max(1, t), delta);
      if (pld.epsilon > 100) large++;
      expect(Number.isFinite(pld.epsilon)).toBe(true);
      if (pld.accountant === 'pld') expect(pld.epsilon).toBeLessThanOrEqual(rdp);
      else expect(pld.epsilon).toBe(rdp);
      if (q === 1) expect(pld.epsilon).toBeGreaterThanOrEqual(composedGaussianEpsilon(s, Math.max(1, t), delta));
    }
    expect(large).toBeGreaterThan(8);
  });

  it('one step with q < 1 and a large epsilon: at least the exact hockey-stick epsilon, both directions', () => {
    for (const [q, s] of [
      [0.5, 0.1],
      [0.9, 0.05],
      [0.2, 0.08],
    ] as const) {
      const exact = (dir: Direction): number => {
        let lo = 0;
        let hi = 1e3;
        for (let i = 0; i < 200; i++) {
          const m = 0.5 * (lo + hi);
          if (subsampledDelta(q, s, m, dir) > 1e-5) lo = m;
          else hi = m;
        }
        return hi;
      };
      const truth = Math.max(exact('remove'), exact('add'));
      const r = new PldAccountant().compose(dpSgdEvent(q, s, 1)).epsilon(1e-5);
      expect(truth).toBeGreaterThan(30);
      expect(r.epsilon).toBeGreaterThanOrEqual(truth);
      expect(r.epsilon / truth - 1).toBeLessThan(0.01);
    }
  });

  it('where a single step loses more than 700 nats (sigma 0.02), the RDP figure is reported and says so', () => {
    const r = new PldAccountant().compose(dpSgdEvent(1, 0.02, 10)).epsilon(1e-5);
    expect(r.accountant).toBe('rdp');
    expect(r.note).toMatch(/700 nats/);
    expect(r.epsilon).toBe(rdpEps(1, 0.02, 10));
    expect(r.epsilon).toBeGreaterThanOrEqual(composedGaussianEpsilon(0.02, 10, 1e-5));
  });
});
