/**
 * Pessimistic discretization of the privacy loss distribution (PLD) of one step of the
 * Poisson-subsampled Gaussian mechanism (sampling rate q, noise multiplier sigma, sensitivity 1),
 * by the "connect the dots" construction of Doroshenko, Ghazi, Kamath, Kumar, Manurangsi,
 * "Connect the Dots: Tighter Discrete Approximations of Privacy Loss Distributions", PETS 2022.
 *
 * Add/remove adjacency has two directions, each a pair (P, Q) of output distributions
 * (N0 = N(0, sigma^2), N1 = N(1, sigma^2)):
 *   remove: P = (1 - q) N0 + q N1, Q = N0;   loss L(x) =  log(1 - q + q exp((2x - 1) / (2 sigma^2)))
 *   add:    P = N0, Q = (1 - q) N0 + q N1;   loss L(x) = -log(1 - q + q exp((2x - 1) / (2 sigma^2)))
 * The PLD is the law of L(X), X ~ P, and delta(eps) = E_P[(1 - exp(eps - L))_+] (+ P-mass of
 * infinite loss), the hockey-stick divergence.
 *
 * Connect the dots: on the grid eps_i = i * h, delta(eps) as a function of y = exp(eps) is convex;
 * the discrete PLD whose delta-curve is the chord through (y_i, delta(eps_i)) lies above the true
 * curve everywhere, is a genuine pair of distributions, and so dominates the mechanism (and keeps
 * dominating under composition). Its masses, written without the second differences that would
 * cancel catastrophically: for each cell I_i = (eps_i, eps_{i+1}] with D_i = P(I_i) - y_i Q(I_i)
 * (= integral over I_i of (exp(L) - y_i) dQ, in [0, (e^h - 1) y_i Q(I_i)]), the cell's mass P(I_i)
 * is split between its two ends: e^h D_i / (e^h - 1) to eps_{i+1}, the rest to eps_i. All loss
 * below the lowest grid point goes to it (rounded up), the mass y_hi Q(L > eps_hi) to the top
 * point and delta(eps_hi) to the infinity atom, so nothing is dropped.
 */
import erfc from '@stdlib/math-base-special-erfc';
import erfcinv from '@stdlib/math-base-special-erfcinv';
import expm1 from '@stdlib/math-base-special-expm1';
import log1p from '@stdlib/math-base-special-log1p';
import { logAdd } from '../logmath.js';
import { gaussLegendre } from '../../util/gauss-legendre.js';
import { InternalError } from '../../util/errors.js';

/** Which neighbouring pair: the example removed from (remove) or added to (add) the data set. */
export type Direction = 'remove' | 'add';

/** A discrete PLD: probs[j] is the P-mass of privacy loss (offset + j) * interval nats. */
export interface DiscretePld {
  /** Grid spacing h in nats (> 0). */
  readonly interval: number;
  /** Grid index of probs[0]. */
  readonly offset: number;
  readonly probs: Float64Array;
  /** P-mass of infinite privacy loss (the part that always fails). */
  readonly infinityMass: number;
  /** Bound on the L1 error of probs from floating-point rounding (erfc, quadrature, cancellation in D). */
  readonly errorBound: number;
}

/** Largest single-step privacy loss (nats) the discretization represents; see discretizeSampledGaussian. */
export const MAX_SINGLE_STEP_LOSS = 700;

/** Refuse single-step grids larger than this (memory and time); the caller then coarsens. */
export const MAX_SINGLE_STEP_POINTS = 1 << 21;

const SQRT1_2 = Math.SQRT1_2;
const U = 2 ** -53;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

// 12-point Gauss-Legendre nodes and weights on [-1, 1], computed once.
const GL = gaussLegendre(12);

/**
 * e^e * m for a mass m >= 0 without overflow to Infinity * 0 = NaN: single-step losses can
 * exceed 709 nats (e^709 is near the largest double) where the mass beyond them is 0.
 */
function expTimes(e: number, m: number): number {
  return m === 0 ? 0 : Math.exp(e + Math.log(m));
}

/** Standard normal upper tail Pr[Z > z]. */
function upperTail(z: number): number {
  return 0.5 * erfc(z * SQRT1_2);
}

/** Mass of N(mean, sigma^2) on (a, b), a <= b, from whichever tails avoid cancellation. */
function gaussMassTails(mean: number, sigma: number, a: number, b: number): number {
  const za = (a - mean) / sigma;
  const zb = (b - mean) / sigma;
  if (za >= 0) return Math.max(0, upperTail(za) - upperTail(zb));
  if (zb <= 0) return Math.max(0, upperTail(-zb) - upperTail(-za));
  return 1 - upperTail(-za) - upperTail(zb);
}

/** log((e^e - 1 + q) / q): the exponent (2x - 1) / (2 sigma^2) at which the remove-loss equals e; -Infinity when e <= log(1 - q). */
function lossExponent(e: number, q: number): number {
  if (e > 1) return e - Math.log(q) + log1p(-(1 - q) * Math.exp(-e));
  const v = expm1(e) / q;
  return v <= -1 ? -Infinity : log1p(v);
}

/** log(1 - q + q e^u): the remove-direction loss at exponent u (no overflow). */
function removeLoss(u: number, q: number): number {
  return q === 1 ? u : logAdd(log1p(-q), Math.log(q) + u);
}

/** Masses of one grid cell (an interval of x where the loss lies in one grid interval). */
interface Cell {
  /** P-mass and Q-mass of the x-interval, and D = P - y Q over it. */
  p: number;
  qm: number;
  d: number;
  /** Bound on the absolute rounding error of d. */
  dErr: number;
}

/**
 * The connect-the-dots PLD of one step for one direction, on the grid of spacing `interval`
 * (nats). `tail` is the P-mass (per side) left outside the exactly treated range: it is not
 * dropped (low losses are rounded up to the lowest point, high ones are carried to the top point
 * and the infinity atom). Returns null when the grid would exceed MAX_SINGLE_STEP_POINTS, or when
 * a single step's losses within that range exceed MAX_SINGLE_STEP_LOSS nats (sigma below ~0.04
 * at q = 1), where its masses are no longer representable in double precision.
 */
export function discretizeSampledGaussian(
  q: number,
  sigma: number,
  interval: number,
  direction: Direction,
  tail = 1e-18,
): DiscretePld | null {
  if (!(q > 0 && q <= 1) || !(sigma > 0) || !(interval > 0)) throw new InternalError('discretizeSampledGaussian: need 0 < q <= 1, sigma > 0, interval > 0');
  const s2 = sigma * sigma;
  const z = Math.SQRT2 * erfcinv(2 * tail);
  const h = interval;
  // Loss range over the x-range holding all but `tail` of P on each side.
  const lossAt = (x: number): number => {
    const l = removeLoss((2 * x - 1) / (2 * s2), q);
    return direction === 'remove' ? l : -l;
  };
  let lo: number;
  let hi: number;
  if (direction === 'remove') {
    lo = Math.floor(lossAt(-z * sigma) / h);
    hi = Math.ceil(lossAt(1 + z * sigma) / h);
  } else {
    lo = Math.floor(lossAt(z * sigma) / h);
    hi = Math.ceil(lossAt(-z * sigma) / h);
    if (q < 1) hi = Math.min(hi, Math.ceil(-log1p(-q) / h)); // the add-loss never exceeds -log(1 - q)
  }
  if (hi <= lo) hi = lo + 1;
  // Beyond ~700 nats e^loss times a mass over- or underflows (y Q(I) would round to 0 or
  // Infinity * 0), which could move mass the optimistic way; refuse, so the caller reports RDP.
  if (Math.max(Math.abs(lo), Math.abs(hi)) * h > MAX_SINGLE_STEP_LOSS) return null;
  const n = hi - lo + 1;
  if (!Number.isFinite(n) || n > MAX_SINGLE_STEP_POINTS) return null;

  // x at which the loss equals eps (increasing in eps for remove, decreasing for add).
  const xAt = (eps: number): number => {
    const u = direction === 'remove' ? lossExponent(eps, q) : lossExponent(-eps, q);
    return u === -Infinity ? -Infinity : s2 * u + 0.5;
  };
  const phi0 = (x: number): number => (INV_SQRT_2PI / sigma) * Math.exp((-0.5 * x * x) / s2);
  const phi1 = (x: number): number => (INV_SQRT_2PI / sigma) * Math.exp((-0.5 * (x - 1) * (x - 1)) / s2);

  // Masses over the x-interval (a, b) of the cell (eps, eps + h] (or (eps, Infinity) when
  // eps1 = Infinity), with y = e^eps.
  const cell = (eps: number, a: number, b: number, wide: boolean): Cell => {
    // remove: D = integral over (a, b) of q e^{u_a} expm1((x - a) / s2) phi0,  u_a = exponent at eps
    // add:    D = integral over (a, b) of y q e^{u_b} (-expm1((x - b) / s2)) phi0, u_b likewise
    let g0: number;
    let g1: number;
    let d: number;
    let dErr: number;
    const ref = direction === 'remove' ? a : b;
    const logC =
      direction === 'remove'
        ? Math.log(q) + lossExponent(eps, q) // = log(y - 1 + q)
        : eps + Math.log(q) + lossExponent(-eps, q); // = log(1 - (1 - q) y)
    // Below the loss's minimum (remove, eps <= log(1 - q)) the reference point is x = -Infinity and
    // c = y - 1 + q is negative: only the closed form applies there.
    const c = Number.isFinite(logC) ? Math.exp(logC) : direction === 'remove' ? expm1(eps) + q : 1 - (1 - q) * Math.exp(eps);
    if (!wide && Number.isFinite(a) && Number.isFinite(b)) {
      const m = 0.5 * (a + b);
      const r = 0.5 * (b - a);
      g0 = 0;
      g1 = 0;
      d = 0;
      for (let k = 0; k < GL.x.length; k++) {
        const x = m + r * GL.x[k]!;
        const w = GL.w[k]! * r;
        const f0 = phi0(x);
        g0 += w * f0;
        g1 += w * phi1(x);
        const e = expm1((x - ref) / s2);
        d += w * f0 * (direction === 'remove' ? e : -e);
      }
      d *= c;
      dErr = 16 * U * Math.abs(d);
    } else {
      g0 = gaussMassTails(0, sigma, a, b);
      g1 = gaussMassTails(1, sigma, a, b);
      // Closed forms: remove D = q G1 - c G0; add D = c G0 - y q G1.
      const t1 = direction === 'remove' ? q * g1 : c * g0;
      const t2 = direction === 'remove' ? c * g0 : expTimes(eps, q * g1);
      d = t1 - t2;
      // erfc is accurate to a few ulps; the difference of tails loses what the terms share.
      dErr = 16 * U * (Math.abs(t1) + Math.abs(t2));
    }
    const mix = (1 - q) * g0 + q * g1;
    const p = direction === 'remove' ? mix : g0;
    const qm = direction === 'remove' ? g0 : mix;
    return { p, qm, d: Math.max(0, d), dErr };
  };

  const probs = new Float64Array(n);
  let errorBound = 0;
  const eh = Math.exp(h);
  const em1h = expm1(h);
  // Lowest point: all P-mass with loss <= eps_lo.
  const xLo = xAt(lo * h);
  probs[0] =
    direction === 'remove'
      ? xLo === -Infinity
        ? 0
        : (1 - q) * upperTail(-xLo / sigma) + q * upperTail((1 - xLo) / sigma)
      : xLo === -Infinity
        ? 1
        : upperTail(xLo / sigma);
  let xPrev = xLo;
  for (let i = lo; i < hi; i++) {
    const eps = i * h;
    const xNext = xAt((i + 1) * h);
    const a = direction === 'remove' ? xPrev : xNext;
    const b = direction === 'remove' ? xNext : xPrev;
    const j = i - lo;
    if (!(b > a)) {
      xPrev = xNext;
      continue;
    }
    const wide = !(b - a <= 0.25 * sigma);
    const { p, qm, d, dErr } = cell(eps, a, b, wide);
    errorBound += (eh / em1h) * dErr + 16 * U * p;
    const yq = expTimes(eps, qm);
    // A = D / (e^h - 1) in [0, y Q(I)]: the share e^h A goes up, y Q(I) - A stays at eps_i.
    const A = Math.min(d / em1h, yq);
    const up = Math.min(eh * A, p);
    probs[j + 1] = probs[j + 1]! + up;
    probs[j] = probs[j]! + Math.max(0, p - up);
    xPrev = xNext;
  }
  // Above the top point: y_hi Q(L > eps_hi) to the top point, delta(eps_hi) to infinity.
  const xHi = xAt(hi * h);
  let infinityMass = 0;
  if (direction === 'remove') {
    if (xHi !== Infinity) {
      const { p, qm } = cell(hi * h, xHi, Infinity, true);
      const top = Math.min(p, expTimes(hi * h, qm));
      probs[n - 1] = probs[n - 1]! + top;
      infinityMass = p - top;
    }
  } else if (xHi !== -Infinity) {
    const { p, qm } = cell(hi * h, -Infinity, xHi, true);
    const top = Math.min(p, expTimes(hi * h, qm));
    probs[n - 1] = probs[n - 1]! + top;
    infinityMass = p - top;
  }
  // The infinity atom and the lowest point are computed from a handful of erfc calls.
  errorBound += 64 * U;
  return { interval: h, offset: lo, probs, infinityMass: Math.max(0, infinityMass), errorBound };
}
