import { InternalError, InvalidArgumentError } from '../util/errors.js';
import { epsilonFromRdp } from './conversion.js';
import { DEFAULT_ORDERS } from './orders.js';
import { sampledGaussianRdp, singleStepRdp, singleStepRdpUpperFast } from './rdp.js';
import { checkDelta, checkEpsilon, checkNoiseMultiplier, checkOrders, checkSamplingRate, checkSteps } from './validate.js';
import { bisectDown, largestFitting } from './bisect.js';

/** Relative width at which the noise-multiplier bisection stops (10x finer than promised). */
const SIGMA_REL_TOL = 1e-7;
/** Beyond this noise multiplier we declare a target unreachable. */
const SIGMA_MAX = 1e6;

function epsilonAt(sigma: number, q: number, steps: number, delta: number, orders: readonly number[]): number {
  return epsilonFromRdp(orders, sampledGaussianRdp(q, sigma, orders, steps), delta).epsilon;
}

/** An upper bound on epsilonAt (equal to it unless some order needs decimal.js), cheap. */
function epsilonUpperFast(sigma: number, q: number, steps: number, delta: number, orders: readonly number[]): number {
  const up = 1 + 8 * 2 ** -53;
  const rdp = orders.map((a) => {
    const r = singleStepRdpUpperFast(q, sigma, a);
    return r === 0 ? 0 : r * steps * up;
  });
  return epsilonFromRdp(orders, rdp, delta).epsilon;
}

/**
 * Smallest sigma in the bracket with eps(sigma) <= target, given eps(lo) > target >= eps(hi),
 * by bisection to SIGMA_REL_TOL; returns that sigma and eps there.
 */
function bisect(eps: (s: number) => number, target: number, lo: number, hi: number, epsHi: number): { hi: number; epsHi: number } {
  const r = bisectDown(eps, (e) => e, target, lo, hi, epsHi, SIGMA_REL_TOL);
  return { hi: r.hi, epsHi: r.atHi };
}

/**
 * The RDP half of calibrateNoise (calibrate-noise.ts; use that): smallest noise multiplier sigma whose epsilon (nats, at delta, RDP accountant, tight
 * conversion) for `steps` steps at sampling rate q is <= targetEpsilon, to 1e-7 relative in sigma
 * (bracketing, then bisection on the monotone map sigma -> epsilon). The returned sigma always
 * satisfies epsilon(sigma) <= targetEpsilon; `epsilon` is that value. With q = 0 or steps = 0
 * nothing is spent and sigma = 0 is returned. Throws InvalidArgumentError on invalid arguments or when even
 * sigma = 1e6 does not reach the target (targets below what the orders can certify).
 */
export function calibrateRdp(o: {
  targetEpsilon: number;
  samplingRate: number;
  steps: number;
  delta: number;
  orders?: readonly number[];
}): { noiseMultiplier: number; epsilon: number } {
  checkEpsilon(o.targetEpsilon, 'target epsilon', true);
  checkSamplingRate(o.samplingRate);
  checkSteps(o.steps);
  checkDelta(o.delta);
  const orders = o.orders ?? DEFAULT_ORDERS;
  checkOrders(orders);
  const { targetEpsilon: target, samplingRate: q, steps, delta } = o;
  if (q === 0 || steps === 0) return { noiseMultiplier: 0, epsilon: 0 };
  // Search with a cheap upper bound on epsilon (exact unless an order needs decimal.js); its
  // answer is valid (the exact epsilon is no larger). Then confirm with the exact epsilon and,
  // if the bound was loose there, search again with the exact one below that answer.
  const fast = (s: number): number => epsilonUpperFast(s, q, steps, delta, orders);
  const exact = (s: number): number => epsilonAt(s, q, steps, delta, orders);
  const found = search(fast, target, delta, steps, q);
  const epsExact = exact(found.hi);
  if (epsExact === found.epsHi) return { noiseMultiplier: found.hi, epsilon: epsExact };
  // eps_exact <= eps_fast everywhere, so the exact answer is <= found.hi: bracket below it,
  // stepping down by growing factors (the answer is usually close).
  let hi = found.hi;
  let epsHi = epsExact;
  let step = 1e-6;
  let lo = hi * (1 - step);
  for (let e = exact(lo); e <= target; e = exact(lo)) {
    hi = lo;
    epsHi = e;
    step = Math.min(0.5, step * 100);
    lo = hi * (1 - step);
    if (lo < 1e-12) throw new InternalError('calibration bracket failed: epsilon stays below target as sigma -> 0');
  }
  const r = bisect(exact, target, lo, hi, epsHi);
  return { noiseMultiplier: r.hi, epsilon: r.epsHi };
}

/** Bracket then bisect on a monotone epsilon(sigma). */
function search(eps: (s: number) => number, target: number, delta: number, steps: number, q: number): { hi: number; epsHi: number } {
  // Bracket: eps(lo) > target >= eps(hi).
  let hi = 1;
  let epsHi = eps(hi);
  let lo = 0;
  if (epsHi <= target) {
    lo = hi / 2;
    while (eps(lo) <= target) {
      hi = lo;
      lo /= 2;
      if (lo < 1e-12) throw new InternalError('calibration bracket failed: epsilon stays below target as sigma -> 0');
    }
    epsHi = eps(hi);
  } else {
    while (epsHi > target) {
      lo = hi;
      hi *= 2;
      if (hi > SIGMA_MAX) {
        throw new InvalidArgumentError(
          `target epsilon ${target} is not reachable with delta ${delta}, ${steps} steps at sampling rate ${q} (even noise multiplier ${SIGMA_MAX} exceeds it)`,
        );
      }
      epsHi = eps(hi);
    }
  }
  return bisect(eps, target, lo, hi, epsHi);
}

/**
 * The RDP half of maxStepsForBudget (calibrate-noise.ts; use that): largest number of steps T such that T steps at sampling rate q and noise multiplier sigma
 * keep epsilon (nats, at delta) <= targetEpsilon. 0 if even one step exceeds it; Infinity if no
 * number of steps does (q = 0). Throws InvalidArgumentError on invalid arguments.
 *
 * ```ts
 * import { maxStepsForBudget } from 'dp-canary/accountant';
 * maxStepsForBudget({ targetEpsilon: 3, samplingRate: 0.01, noiseMultiplier: 1.1, delta: 1e-5 }); // steps
 * ```
 */
export function maxStepsRdp(o: {
  targetEpsilon: number;
  samplingRate: number;
  noiseMultiplier: number;
  delta: number;
  orders?: readonly number[];
}): number {
  checkEpsilon(o.targetEpsilon, 'target epsilon');
  checkSamplingRate(o.samplingRate);
  checkNoiseMultiplier(o.noiseMultiplier);
  checkDelta(o.delta);
  const orders = o.orders ?? DEFAULT_ORDERS;
  checkOrders(orders);
  const one = orders.map((a) => singleStepRdp(o.samplingRate, o.noiseMultiplier, a).rdp);
  if (one.every((r) => r === 0)) return Infinity;
  // Scale exactly as sampledGaussianRdp does for a count (same rounding), so the answer agrees
  // with the epsilon reported for that many steps.
  const up = 1 + 8 * 2 ** -53;
  const eps = (t: number): number =>
    epsilonFromRdp(orders, one.map((r) => (r === 0 ? 0 : r * t * up)), o.delta).epsilon;
  if (eps(1) > o.targetEpsilon) return 0;
  return largestFitting((t) => eps(t) <= o.targetEpsilon, 1);
}
