/**
 * The one-run privacy audit of Steinke, Nasr and Jagielski, "Privacy Auditing with One (1)
 * Training Run" (NeurIPS 2023, arXiv 2305.08846): m canaries, each included in the training
 * data independently with probability 1/2; an auditor guesses "in" or "out" for r of them
 * (abstaining on the rest) and gets v right. If the training algorithm is (epsilon, delta)-DP
 * (epsilon in nats), their Theorem 3 (with the delta term, computed as in their Algorithm 2)
 * bounds the chance of v or more correct guesses by
 *
 *   P[W >= v] <= P[Bin(r, q) >= v] + 2 m delta max_{i = 1..v} (1/i) P[v - i <= Bin(r, q) < v],
 *   q = e^eps / (1 + e^eps)    (the accuracy of eps-DP randomized response).
 *
 * So a run whose v makes this p-value fall below beta refutes (epsilon, delta)-DP at confidence
 * 1 - beta; the largest such epsilon is an empirical LOWER bound on the run's true epsilon.
 * Pure math: no tfjs.
 */
import { InvalidArgumentError } from '../util/errors.js';

/** log(n!) for n = 0..N, summed exactly in float64 (enough for N up to ~1e7). */
function logFactorials(n: number): Float64Array {
  const out = new Float64Array(n + 1);
  for (let k = 2; k <= n; k++) out[k] = out[k - 1]! + Math.log(k);
  return out;
}

/**
 * Probabilities P[Bin(n, q) = k] for k = 0..n, with q = 1 / (1 + e^-eps) given through eps
 * (nats, >= 0, Infinity allowed) so that log q and log(1 - q) stay accurate for large eps.
 */
export function binomialPmfForEpsilon(n: number, epsilon: number): Float64Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`binomial size must be an integer >= 0, got ${n}`);
  if (!(epsilon >= 0)) throw new InvalidArgumentError(`epsilon must be >= 0, got ${epsilon}`);
  const out = new Float64Array(n + 1);
  if (epsilon === Infinity) {
    out[n] = 1;
    return out;
  }
  // log q = -log(1 + e^-eps), log(1 - q) = -log(1 + e^eps) = -eps + log q.
  const logQ = -Math.log1p(Math.exp(-epsilon));
  const log1mQ = logQ - epsilon;
  const lf = logFactorials(n);
  for (let k = 0; k <= n; k++) out[k] = Math.exp(lf[n]! - lf[k]! - lf[n - k]! + k * logQ + (n - k) * log1mQ);
  return out;
}

/** Counts of one audit: m canaries, r guesses made, v of them correct (0 <= v <= r <= m). */
export interface AuditCounts {
  /** Audit canaries m, each included with probability 1/2. */
  canaries: number;
  /** Guesses made r (the rest abstain). */
  guesses: number;
  /** Correct guesses v. */
  correct: number;
}

function checkCounts(c: AuditCounts): void {
  const { canaries: m, guesses: r, correct: v } = c;
  for (const [name, x] of [['canaries', m], ['guesses', r], ['correct', v]] as const) {
    if (!Number.isSafeInteger(x) || x < 0) throw new InvalidArgumentError(`${name} must be an integer >= 0, got ${x}`);
  }
  if (!(v <= r && r <= m)) throw new InvalidArgumentError(`need correct <= guesses <= canaries, got ${v}, ${r}, ${m}`);
}

/**
 * The p-value of Steinke-Nasr-Jagielski's Theorem 3 (their Algorithm 2): an upper bound on the
 * probability of `correct` or more right guesses out of `guesses` when the algorithm is
 * (epsilon, delta)-DP with respect to each canary. epsilon in nats (>= 0), delta in [0, 1].
 * Result in [0, 1].
 */
export function auditPValue(c: AuditCounts, epsilon: number, delta: number): number {
  checkCounts(c);
  if (!(delta >= 0 && delta <= 1)) throw new InvalidArgumentError(`delta must be in [0, 1], got ${delta}`);
  const { canaries: m, guesses: r, correct: v } = c;
  const pmf = binomialPmfForEpsilon(r, epsilon);
  let tail = 0;
  // Summed from the smallest term up, so the tiny far tail is not lost to rounding.
  for (let k = r; k >= v; k--) tail += pmf[k]!;
  let alpha = 0;
  let window = 0; // P[v - i <= Bin(r, q) < v]
  for (let i = 1; i <= v; i++) {
    window += pmf[v - i]!;
    alpha = Math.max(alpha, window / i);
  }
  return Math.min(1, tail + 2 * m * delta * alpha);
}

/**
 * Delta of a group of k privacy units under (epsilon, delta)-DP per unit: the group is
 * (k eps, delta_k)-DP with delta_k = delta * sum_{j=0}^{k-1} e^{j eps} (apply the definition k
 * times along a path of k neighbouring datasets; Dwork and Roth 2014, Thm 2.2 states the looser
 * k e^{(k-1) eps} delta). Capped at 1.
 */
export function groupDelta(epsilon: number, delta: number, k: number): number {
  if (!Number.isSafeInteger(k) || k < 1) throw new InvalidArgumentError(`group size must be an integer >= 1, got ${k}`);
  let sum = 0;
  for (let j = 0; j < k; j++) sum += Math.exp(j * epsilon);
  return Math.min(1, delta * sum);
}

/** What the lower bound is computed for. */
export interface BoundOptions {
  /** beta in (0, 1): the bound is wrong with probability at most beta (confidence 1 - beta). */
  beta: number;
  /** delta of the (epsilon, delta)-DP claim being tested, in [0, 1). */
  delta: number;
  /**
   * Privacy units (training windows) per canary, k >= 1 (default 1). With k > 1 a canary is a
   * group of k units: a per-unit (eps, delta) claim gives the group (k eps, groupDelta) and
   * that is what the guesses test. The bound returned is then on the PER-UNIT epsilon.
   */
  unitsPerCanary?: number;
}

/** Largest epsilon tried; beyond it the p-value is 1 for every count (q^r rounds to 1). */
const EPSILON_CAP = 1000;
/** Grid cells in which the first crossing of beta is searched before bisecting inside one. */
const GRID_CELLS = 128;

/**
 * The empirical lower bound on epsilon (nats, per privacy unit): the supremum of eps such that
 * every eps' in [0, eps] is refuted at level beta, i.e. pValue(eps') < beta. Taking the FIRST
 * crossing (never a later one) keeps the bound valid even where the p-value were not monotone
 * in eps: if the true epsilon eps* were below the bound, pValue(eps*) < beta, which happens with
 * probability at most beta. Returns 0 when even eps = 0 cannot be refuted. Accurate to 1e-6
 * (rounded down).
 */
export function epsilonLowerBound(c: AuditCounts, o: BoundOptions): number {
  checkCounts(c);
  if (!(o.beta > 0 && o.beta < 1)) throw new InvalidArgumentError(`beta must be in (0, 1), got ${o.beta}`);
  if (!(o.delta >= 0 && o.delta < 1)) throw new InvalidArgumentError(`delta must be in [0, 1), got ${o.delta}`);
  const k = o.unitsPerCanary ?? 1;
  const refuted = (eps: number): boolean => auditPValue(c, k * eps, k === 1 ? o.delta : groupDelta(eps, o.delta, k)) < o.beta;
  if (!refuted(0)) return 0;
  // Upper end: the first power of two (per group) that is not refuted.
  let hi = 1 / k;
  while (refuted(hi)) {
    hi *= 2;
    if (hi * k > EPSILON_CAP) return EPSILON_CAP / k;
  }
  // First grid cell [lo, hi] whose right end is not refuted, then bisect inside it.
  let lo = 0;
  for (let j = 1; j <= GRID_CELLS; j++) {
    const x = (hi * j) / GRID_CELLS;
    if (!refuted(x)) {
      hi = x;
      break;
    }
    lo = x;
  }
  while (hi - lo > 1e-7 * Math.max(1, lo)) {
    const mid = (lo + hi) / 2;
    if (refuted(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}
