/**
 * RDP (Renyi differential privacy, in nats) of the Poisson-subsampled Gaussian mechanism:
 * sampling rate q, noise multiplier sigma (noise std / L2 sensitivity, sensitivity 1),
 * add/remove-one adjacency (Mironov, Talwar, Zhang 2019, arXiv 1908.10530).
 *
 * Accuracy contract: every value returned is an upper bound on the exact RDP, and is within
 * about 1e-10 relative of it (float64 series with a proven error bound, inflated by that bound;
 * decimal.js when float64 cannot prove 1e-10). Only if both fail (never seen in tests) it falls
 * back to the log-convexity bound of the neighbouring integer orders, which is still an upper
 * bound but may be looser.
 * The float64 bounds assume Math.log/exp and the stdlib erfc/log1p/expm1 are accurate to a few
 * ulps (as documented); every term is allowed 16 ulps per unit of its intermediate logs, a wide
 * margin. The series truncations are bounded exactly (Euler transform of completely monotone
 * tails, see rdp-series.ts). Tests compare against decimal.js (50+ digits) and quadrature.
 */
import { fractionalOrderSeries, integerOrderSeries, type SeriesResult } from './rdp-series.js';
import { preciseLogA } from './rdp-precise.js';
import { log1pExp } from './logmath.js';
import { checkNoiseMultiplier, checkOrders, checkSamplingRate, checkSteps } from './validate.js';

/** Relative accuracy demanded of the float64 path on log(A) before decimal.js takes over. */
export const FLOAT_REL_TOL = 1e-10;

const ULP_UP = 1 + 8 * 2 ** -53;

/** Which method produced a single-step RDP value (for tests and diagnostics). */
export type RdpMethod = 'closed-form' | 'integer-series' | 'float-series' | 'decimal' | 'convexity-bound';

/** log(A) from log(A - 1) inflated by its relative error; and the relative error of log(A). */
function logAFromSeries(r: SeriesResult): { logA: number; relLogA: number } {
  if (r.logDeltaA === -Infinity) return { logA: 0, relLogA: 0 };
  const l = r.logDeltaA;
  const logA = log1pExp(l);
  // d log(A) = d(A-1) / A, and log(A) >= (A-1)/A: relative error of log(A) <= that of A - 1.
  const relLogA = (r.relErr * Math.exp(l - logA)) / logA;
  return { logA: log1pExp(l + Math.log1p(r.relErr)), relLogA };
}

// Memo of one-step values, keyed q -> sigma -> alpha (no string keys: the cold path makes
// hundreds of lookups per epsilon).
type Entry = { rdp: number; method: RdpMethod };
let cache = new Map<number, Map<number, Map<number, Entry>>>();
let cacheSize = 0;
const CACHE_LIMIT = 200_000;

function cacheGet(q: number, sigma: number, alpha: number): Entry | undefined {
  return cache.get(q)?.get(sigma)?.get(alpha);
}

function cacheSet(q: number, sigma: number, alpha: number, e: Entry): void {
  if (cacheSize >= CACHE_LIMIT) clearRdpCache();
  let bySigma = cache.get(q);
  if (!bySigma) cache.set(q, (bySigma = new Map()));
  let byAlpha = bySigma.get(sigma);
  if (!byAlpha) bySigma.set(sigma, (byAlpha = new Map()));
  byAlpha.set(alpha, e);
  cacheSize++;
}

/**
 * RDP at order alpha of ONE step of the sampled Gaussian mechanism, with the method used.
 * Arguments must already be valid (0 <= q <= 1, sigma >= 0, alpha > 1).
 */
export function singleStepRdp(q: number, sigma: number, alpha: number): { rdp: number; method: RdpMethod } {
  if (q === 0) return { rdp: 0, method: 'closed-form' };
  if (sigma === 0) return { rdp: Infinity, method: 'closed-form' };
  if (q === 1) return { rdp: alpha / (2 * sigma * sigma), method: 'closed-form' };
  const hit = cacheGet(q, sigma, alpha);
  if (hit) return hit;
  const value = computeSingleStep(q, sigma, alpha);
  cacheSet(q, sigma, alpha, value);
  return value;
}

/** Forget memoized single-step values (for cold-start benchmarks). */
export function clearRdpCache(): void {
  cache = new Map();
  cacheSize = 0;
}

/** The float64 paths only: null when the fractional series cannot prove FLOAT_REL_TOL. */
function floatSingleStep(q: number, sigma: number, alpha: number): { rdp: number; method: RdpMethod } | null {
  if (Number.isInteger(alpha)) {
    const { logA } = logAFromSeries(integerOrderSeries(q, sigma, alpha));
    return { rdp: (logA / (alpha - 1)) * ULP_UP, method: 'integer-series' };
  }
  const s = fractionalOrderSeries(q, sigma, alpha);
  if (s !== null) {
    const { logA, relLogA } = logAFromSeries(s);
    if (relLogA <= FLOAT_REL_TOL) return { rdp: (logA / (alpha - 1)) * ULP_UP, method: 'float-series' };
  }
  return null;
}

/**
 * A fast upper bound on the one-step RDP: the exact value when float64 proves it (or it is
 * cached), else the convexity bound (never decimal.js). For searches such as calibration, which
 * confirm their answer with the exact values afterwards.
 */
export function singleStepRdpUpperFast(q: number, sigma: number, alpha: number): number {
  if (q === 0 || sigma === 0 || q === 1) return singleStepRdp(q, sigma, alpha).rdp;
  const hit = cacheGet(q, sigma, alpha);
  if (hit) return hit.rdp;
  const f = floatSingleStep(q, sigma, alpha);
  if (f !== null) {
    cacheSet(q, sigma, alpha, f);
    return f.rdp;
  }
  return convexityBound(q, sigma, alpha);
}

function computeSingleStep(q: number, sigma: number, alpha: number): { rdp: number; method: RdpMethod } {
  const f = floatSingleStep(q, sigma, alpha);
  if (f !== null) return f;
  const p = preciseLogA(q, sigma, alpha);
  if (p !== null) return { rdp: (p.logA / (alpha - 1)) * ULP_UP, method: 'decimal' };
  return { rdp: convexityBound(q, sigma, alpha), method: 'convexity-bound' };
}

/**
 * Upper bound from convexity: log A_alpha is convex in alpha (Hoelder's inequality), so it lies
 * below the chord between the neighbouring integer orders (alpha = 1 has log A = 0).
 */
function convexityBound(q: number, sigma: number, alpha: number): number {
  const lo = Math.floor(alpha);
  const hi = lo + 1;
  const t = alpha - lo;
  const logA = (o: number): number => (o === 1 ? 0 : logAFromSeries(integerOrderSeries(q, sigma, o)).logA);
  return (((1 - t) * logA(lo) + t * logA(hi)) / (alpha - 1)) * ULP_UP;
}

/**
 * Total RDP (nats) at each order for `count` steps of the Poisson-subsampled Gaussian mechanism
 * (RDP composes additively). samplingRate q in [0, 1]; noiseMultiplier sigma >= 0 (sigma = 0
 * with q > 0 gives Infinity); orders alpha > 1 (integer or fractional); count >= 0 (default 1).
 * Throws InvalidArgumentError on invalid arguments.
 *
 * ```ts
 * import { DEFAULT_ORDERS, epsilonFromRdp, sampledGaussianRdp } from 'dp-canary/accountant';
 * const rdp = sampledGaussianRdp(0.01, 1.1, DEFAULT_ORDERS, 1000); // RDP at each order, 1,000 steps
 * epsilonFromRdp(DEFAULT_ORDERS, rdp, 1e-5); // { epsilon, order }
 * ```
 */
export function sampledGaussianRdp(
  samplingRate: number,
  noiseMultiplier: number,
  orders: readonly number[],
  count = 1,
): number[] {
  checkSamplingRate(samplingRate);
  checkNoiseMultiplier(noiseMultiplier);
  checkOrders(orders);
  checkSteps(count, 'count');
  return orders.map((a) => {
    if (count === 0) return 0;
    const r = singleStepRdp(samplingRate, noiseMultiplier, a).rdp;
    return r === 0 ? 0 : r * count * ULP_UP;
  });
}
