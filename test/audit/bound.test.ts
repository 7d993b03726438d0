import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/util/errors.js';
import { auditPValue, binomialPmfForEpsilon, epsilonLowerBound, groupDelta } from '../../src/audit/bound.js';
import { auditScores, countCorrect, declaredGuessTotals, guessFromScores } from '../../src/audit/guess.js';
import erfc from '@stdlib/math-base-special-erfc';
import { seededRandom, type RandomSource } from '../../src/util/random.js';

const sigmoid = (eps: number): number => 1 / (1 + Math.exp(-eps));

/**
 * Exact P[W >= v] for eps-DP randomized response on each canary's membership, by enumerating
 * every membership vector Z in {0,1}^m and every response vector (brute force, no binomials):
 * the auditor guesses that each canary's membership is what the response says.
 */
function bruteForceRandomizedResponse(m: number, eps: number): number[] {
  const q = sigmoid(eps);
  const atLeast = new Array<number>(m + 2).fill(0);
  for (let z = 0; z < 1 << m; z++) {
    for (let y = 0; y < 1 << m; y++) {
      let p = 0.5 ** m;
      let correct = 0;
      for (let i = 0; i < m; i++) {
        const same = ((z >> i) & 1) === ((y >> i) & 1);
        p *= same ? q : 1 - q;
        if (same) correct++;
      }
      for (let v = 0; v <= correct; v++) atLeast[v]! += p;
    }
  }
  return atLeast.slice(0, m + 1);
}

/** Bernoulli(p) draws as booleans. */
function bernoullis(rng: RandomSource, n: number, p: number): boolean[] {
  return Array.from({ length: n }, () => rng.uniform() < p);
}

describe('binomial probabilities', () => {
  it('sum to 1 and match C(n,k) q^k (1-q)^(n-k) by direct products', () => {
    const n = 12;
    const eps = 0.7;
    const q = sigmoid(eps);
    const pmf = binomialPmfForEpsilon(n, eps);
    let choose = 1;
    for (let k = 0; k <= n; k++) {
      expect(pmf[k]).toBeCloseTo(choose * q ** k * (1 - q) ** (n - k), 14);
      choose = (choose * (n - k)) / (k + 1);
    }
    expect(pmf.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(binomialPmfForEpsilon(3, Infinity)).toEqual(Float64Array.from([0, 0, 0, 1]));
  });
});

describe('p-value of the one-run audit (Steinke, Nasr, Jagielski 2023, Theorem 3)', () => {
  it('equals the exact tail of eps-DP randomized response when delta = 0 (brute force, m = 8)', () => {
    const m = 8;
    for (const eps of [0, 0.5, 2]) {
      const exact = bruteForceRandomizedResponse(m, eps);
      for (let v = 0; v <= m; v++) {
        expect(auditPValue({ canaries: m, guesses: m, correct: v }, eps, 0)).toBeCloseTo(exact[v]!, 10);
      }
    }
  });

  it('bounds an (eps, delta)-DP mechanism that reveals each bit with probability delta, and needs its delta term to', () => {
    // Per canary: with probability delta output the bit, else eps-randomized response. Each
    // coordinate is (eps, delta)-DP; correct guesses ~ Bin(r, delta + (1 - delta) q) exactly.
    const m = 40;
    const eps = 1;
    const delta = 0.02;
    const exact = binomialTail(m, delta + (1 - delta) * sigmoid(eps));
    let neededDeltaTerm = false;
    for (let v = 0; v <= m; v++) {
      const c = { canaries: m, guesses: m, correct: v };
      expect(exact[v]!).toBeLessThanOrEqual(auditPValue(c, eps, delta) + 1e-15);
      if (exact[v]! > auditPValue(c, eps, 0)) neededDeltaTerm = true;
    }
    expect(neededDeltaTerm).toBe(true);
  });

  it('is non-decreasing in epsilon (what the lower-bound search relies on)', () => {
    for (const [m, r, v, delta] of [[10, 10, 7, 0], [30, 12, 11, 1e-3], [100, 40, 30, 1e-5], [20, 20, 20, 0.01]] as const) {
      let prev = 0;
      for (let eps = 0; eps <= 12; eps += 0.05) {
        const p = auditPValue({ canaries: m, guesses: r, correct: v }, eps, delta);
        expect(p).toBeGreaterThanOrEqual(prev - 1e-15);
        prev = p;
      }
    }
  });

  it('rejects impossible counts', () => {
    expect(() => auditPValue({ canaries: 5, guesses: 6, correct: 1 }, 1, 0)).toThrow(InvalidArgumentError);
    expect(() => auditPValue({ canaries: 5, guesses: 3, correct: 4 }, 1, 0)).toThrow(InvalidArgumentError);
    expect(() => auditPValue({ canaries: 5, guesses: 3, correct: 2 }, 1, 2)).toThrow(InvalidArgumentError);
  });
});

/** P[Bin(n, p) >= v] for v = 0..n by the product formula (independent of the module). */
function binomialTail(n: number, p: number): number[] {
  const pmf: number[] = [];
  let choose = 1;
  for (let k = 0; k <= n; k++) {
    pmf.push(choose * p ** k * (1 - p) ** (n - k));
    choose = (choose * (n - k)) / (k + 1);
  }
  return pmf.map((_, v) => pmf.slice(v).reduce((a, b) => a + b, 0));
}

describe('epsilon lower bound', () => {
  it('with all r guesses right and delta = 0 is the closed form log(b / (1 - b)), b = beta^(1/r)', () => {
    for (const r of [1, 10, 100, 1000]) {
      const b = 0.05 ** (1 / r);
      const closed = r === 1 ? 0 : Math.log(b / (1 - b));
      expect(epsilonLowerBound({ canaries: r, guesses: r, correct: r }, { beta: 0.05, delta: 0 })).toBeCloseTo(Math.max(0, closed), 5);
    }
  });

  it('refutes exactly the epsilons whose p-value is below beta', () => {
    const c = { canaries: 200, guesses: 60, correct: 50 };
    const o = { beta: 0.05, delta: 1e-5 };
    const eps = epsilonLowerBound(c, o);
    expect(eps).toBeGreaterThan(0);
    expect(auditPValue(c, eps, o.delta)).toBeLessThan(o.beta);
    expect(auditPValue(c, eps + 1e-4, o.delta)).toBeGreaterThanOrEqual(o.beta);
  });

  it('is 0 when the guesses are no better than chance', () => {
    expect(epsilonLowerBound({ canaries: 100, guesses: 100, correct: 50 }, { beta: 0.05, delta: 1e-5 })).toBe(0);
    expect(epsilonLowerBound({ canaries: 100, guesses: 0, correct: 0 }, { beta: 0.05, delta: 1e-5 })).toBe(0);
  });

  it('for a group of k windows per canary with delta = 0 is the group bound divided by k', () => {
    const c = { canaries: 500, guesses: 100, correct: 95 };
    const one = epsilonLowerBound(c, { beta: 0.05, delta: 0 });
    for (const k of [2, 4, 16]) expect(epsilonLowerBound(c, { beta: 0.05, delta: 0, unitsPerCanary: k })).toBeCloseTo(one / k, 5);
  });

  it('for a group with delta > 0 tests (k eps, delta * sum_j e^(j eps)) and is below the group bound / k', () => {
    expect(groupDelta(0, 1e-5, 4)).toBeCloseTo(4e-5, 15);
    expect(groupDelta(1, 1e-5, 3)).toBeCloseTo(1e-5 * (1 + Math.E + Math.E ** 2), 15);
    const c = { canaries: 1000, guesses: 200, correct: 180 };
    const k = 4;
    const perUnit = epsilonLowerBound(c, { beta: 0.05, delta: 1e-5, unitsPerCanary: k });
    expect(perUnit).toBeGreaterThan(0);
    expect(perUnit).toBeLessThanOrEqual(epsilonLowerBound(c, { beta: 0.05, delta: 1e-5 }) / k + 1e-9);
    expect(auditPValue(c, k * perUnit, groupDelta(perUnit, 1e-5, k))).toBeLessThan(0.05);
  });

  it('approaches the true epsilon of randomized response as m grows (all canaries guessed)', () => {
    const rng = seededRandom('audit-rr-growth');
    const eps = 1;
    const q = sigmoid(eps);
    const bounds = [100, 1000, 100_000].map((m) => {
      const correct = bernoullis(rng, m, q).filter(Boolean).length;
      return epsilonLowerBound({ canaries: m, guesses: m, correct }, { beta: 0.05, delta: 0 });
    });
    expect(bounds[2]!).toBeGreaterThan(0.95);
    expect(bounds[2]!).toBeLessThanOrEqual(eps);
    expect(bounds[2]!).toBeGreaterThan(bounds[1]!);
    expect(bounds[1]!).toBeGreaterThan(bounds[0]!);
  });
});

describe('guesses from scores', () => {
  it('guesses included for the k+ lowest and excluded for the k- highest, ties by index', () => {
    expect(guessFromScores([5, 1, 3, 1, 9, 7], 2, 1)).toEqual([0, 1, 0, 1, -1, 0]);
    expect(guessFromScores([2, 2, 2], 1, 1)).toEqual([1, 0, -1]);
    expect(() => guessFromScores([1, 2], 2, 1)).toThrow(InvalidArgumentError);
    expect(countCorrect([1, -1, 0, 1], [true, true, false, false])).toEqual({ guesses: 3, correct: 1 });
  });

  it('reports the best declared total; with equal bounds the one with the most evidence against eps = 0', () => {
    // 8 canaries alternating in/out; the lowest 4 scores are the 4 included ones.
    const included = [true, false, true, false, true, false, true, false];
    const scores = [1, 9, 2, 8, 3, 7, 4, 6];
    const one = auditScores(scores, included, { confidence: 0.95, delta: 0, totals: [8] });
    expect(one.correctGuesses).toBe(8);
    expect(one.epsilonLowerBound).toBeCloseTo(Math.log(0.05 ** (1 / 8) / (1 - 0.05 ** (1 / 8))), 5);
    const tied = auditScores([5, 5, 5, 5, 5, 5, 5, 5], included, { confidence: 0.95, delta: 0, totals: [2, 4, 8] });
    expect(tied.epsilonLowerBound).toBe(0);
    expect(auditPValue({ canaries: 8, guesses: tied.guesses, correct: tied.correctGuesses }, 0, 0)).toBeLessThanOrEqual(
      Math.min(...[2, 4, 8].map((g) => auditPValue({ canaries: 8, ...countCorrect(guessFromScores([5, 5, 5, 5, 5, 5, 5, 5], Math.ceil(g / 2), g - Math.ceil(g / 2)), included) }, 0, 0))),
    );
  });

  it('declares 2%, 5%, 10%, 20%, 50%, 100% of m', () => {
    expect(declaredGuessTotals(1000)).toEqual([20, 50, 100, 200, 500, 1000]);
    expect(declaredGuessTotals(10)).toEqual([1, 2, 5, 10]);
  });
});

/** Audit one simulated run: membership ~ Bernoulli(1/2), scores from `score(included)`. */
function simulate(rng: RandomSource, m: number, score: (included: boolean) => number, o: { delta: number; totals?: number[] }) {
  const included = bernoullis(rng, m, 0.5);
  const scores = included.map(score);
  return auditScores(scores, included, { confidence: 0.95, ...o });
}

describe('coverage: the bound exceeds the true epsilon in at most about beta of seeded trials', () => {
  const trials = 300;
  // Upper 99.9% point of Binomial(300, 0.05) is 28: more exceedances than that would mean the bound is invalid.
  const allowed = 28;

  it('randomized response with eps = 1, all canaries guessed (the worst case the theorem is tight for)', () => {
    const rng = seededRandom('audit-coverage-rr');
    const eps = 1;
    const q = sigmoid(eps);
    let over = 0;
    let positive = 0;
    for (let t = 0; t < trials; t++) {
      const out = simulate(rng, 200, (inc) => ((rng.uniform() < q) === inc ? 0 : 1) + 1e-9 * rng.uniform(), { delta: 0, totals: [200] });
      if (out.epsilonLowerBound > eps) over++;
      if (out.epsilonLowerBound > 0) positive++;
    }
    expect(over).toBeLessThanOrEqual(allowed);
    expect(positive).toBeGreaterThan(trials / 2); // the audit has power, not only validity
  });

  it('Gaussian scores with separation mu: bounded by the Gaussian mechanism epsilon at delta, over the declared totals', () => {
    const rng = seededRandom('audit-coverage-gauss');
    const mu = 2;
    const delta = 1e-5;
    const trueEps = gaussianEpsilon(mu, delta);
    expect(trueEps).toBeGreaterThan(8); // about 8.7 for mu = 2 at delta 1e-5 (Balle and Wang 2018)
    const normal = new Float64Array(1);
    const gauss = (): number => {
      rng.fillNormal(normal);
      return normal[0]!;
    };
    let over = 0;
    let positive = 0;
    for (let t = 0; t < 100; t++) {
      const out = simulate(rng, 1000, (inc) => (inc ? -mu : 0) + gauss(), { delta });
      if (out.epsilonLowerBound > trueEps) over++;
      if (out.epsilonLowerBound > 0.5) positive++;
    }
    expect(over).toBeLessThanOrEqual(12); // upper 99.9% point of Binomial(100, 0.05)
    expect(positive).toBe(100);
  });
});

/** Standard normal CDF. */
function normalCdf(x: number): number {
  return erfc(-x / Math.SQRT2) / 2;
}

/**
 * Exact epsilon of the Gaussian mechanism with sensitivity / sigma = mu at delta (Balle and Wang
 * 2018, Thm 8): delta(eps) = Phi(-eps/mu + mu/2) - e^eps Phi(-eps/mu - mu/2), solved by bisection.
 */
function gaussianEpsilon(mu: number, delta: number): number {
  const d = (eps: number): number => normalCdf(-eps / mu + mu / 2) - Math.exp(eps) * normalCdf(-eps / mu - mu / 2);
  let lo = 0;
  let hi = 100;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (d(mid) > delta) lo = mid;
    else hi = mid;
  }
  return hi;
}
