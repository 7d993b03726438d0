/**
 * Composition of discrete privacy loss distributions (PLDs) on one grid, by FFT: the PLD of a
 * composition is the convolution of the PLDs, so the composed PMF is the inverse transform of
 * the product of the transforms, each raised to its number of steps (self-composition by
 * repeated squaring of the transform, pointwise).
 *
 * The circular convolution needs a window holding the composed loss: it is chosen with a
 * Chernoff bound, Pr[S >= t] <= exp(Lambda(l) - l t), Lambda the log moment generating function
 * of the composed (sub-probability) PLD, computed exactly from the discrete PMFs. Mass outside
 * the window is never dropped: the bound on the mass above it goes into the infinity atom, the
 * bound on the mass below it onto the window's lowest point (rounded up), and what wraps around
 * in the circular convolution only adds mass. Floating-point error of the transforms (Higham,
 * Thm 24.2) and of the single-step masses is bounded and reported as `numericalSlack`, which
 * every delta includes.
 */
import log1p from '@stdlib/math-base-special-log1p';
import expm1 from '@stdlib/math-base-special-expm1';
import { fft, nextPowerOfTwo } from './fft.js';
import { logAdd } from '../logmath.js';
import type { DiscretePld } from './discretize.js';
import { InternalError } from '../../util/errors.js';

const U = 2 ** -53;
/** Constant in the radix-2 FFT error bound ||fl(FFT x) - FFT x||_2 <= C u log2(N) ||FFT x||_2 (Higham Thm 24.2 gives about 5 with exact twiddles). */
const FFT_ERROR_CONSTANT = 10;

/** A discrete PLD and how many times it is composed with itself. */
export interface PldPhase {
  readonly pld: DiscretePld;
  /** Number of compositions, an integer >= 1. */
  readonly count: number;
  /** Bound on the L1 error of pld.probs from floating-point arithmetic (>= 0). */
  readonly errorBound: number;
}

/** The composed PLD: probs[j] is the mass of loss (offset + j) * interval nats. */
export interface ComposedPld {
  readonly interval: number;
  readonly offset: number;
  readonly probs: Float64Array;
  /** Mass of infinite loss, including the Chernoff bound on the mass above the window. */
  readonly infinityMass: number;
  /** Bound on the L1 floating-point error of probs; every delta adds it. */
  readonly numericalSlack: number;
  /** Chernoff bounds on the mass outside the window (already carried into infinityMass and probs[0]). */
  readonly truncatedMass: number;
}

/** The finite part of a PLD as (log mass, loss in nats) pairs, for moment generating functions. */
interface LogPoints {
  logP: Float64Array;
  loss: Float64Array;
}

function logPoints(p: DiscretePld): LogPoints {
  const idx: number[] = [];
  for (let k = 0; k < p.probs.length; k++) if (p.probs[k]! > 0) idx.push(k);
  const logP = new Float64Array(idx.length);
  const loss = new Float64Array(idx.length);
  idx.forEach((k, i) => {
    logP[i] = Math.log(p.probs[k]!);
    loss[i] = (p.offset + k) * p.interval;
  });
  return { logP, loss };
}

/** log of sum_k p_k exp(l * loss_k) over a discrete PLD's finite part; -Infinity when empty. */
function logMgf(p: LogPoints, l: number): number {
  let max = -Infinity;
  for (let k = 0; k < p.logP.length; k++) {
    const v = p.logP[k]! + l * p.loss[k]!;
    if (v > max) max = v;
  }
  if (max === -Infinity) return -Infinity;
  let s = 0;
  for (let k = 0; k < p.logP.length; k++) s += Math.exp(p.logP[k]! + l * p.loss[k]! - max);
  // Round the log up a little: the window bound must not be optimistic.
  return max + Math.log(s) * (1 + 4 * U) + 4 * U * Math.abs(max);
}

const LAMBDAS = Array.from({ length: 31 }, (_, i) => 2 ** ((i - 15) / 1.5));

/**
 * Composes the phases on a window whose outside mass is at most about `tailBound` per side.
 * Returns null when the window would need more than `maxPoints` points.
 */
export function composePhases(phases: readonly PldPhase[], tailBound = 1e-15, maxPoints = 1 << 22): ComposedPld | null {
  if (phases.length === 0) throw new InternalError('composePhases: no phases');
  const h = phases[0]!.pld.interval;
  for (const ph of phases) if (ph.pld.interval !== h) throw new InternalError('composePhases: phases on different grids');
  let minIdx = 0;
  let maxIdx = 0;
  for (const { pld, count } of phases) {
    minIdx += count * pld.offset;
    maxIdx += count * (pld.offset + pld.probs.length - 1);
  }
  // Chernoff window: Pr[S >= t] <= exp(Lambda(l) - l t), Pr[S <= t] <= exp(Lambda(-l) + l t).
  const points = phases.map((ph) => logPoints(ph.pld));
  const lambda = (l: number): number => phases.reduce((s, ph, i) => s + ph.count * logMgf(points[i]!, l), 0);
  const logTail = Math.log(tailBound);
  let upT = Infinity;
  let loT = -Infinity;
  const upL: number[] = [];
  const loL: number[] = [];
  for (const l of LAMBDAS) {
    const lu = lambda(l);
    const ll = lambda(-l);
    upL.push(lu);
    loL.push(ll);
    upT = Math.min(upT, (lu - logTail) / l);
    loT = Math.max(loT, (logTail - ll) / l);
  }
  let hiIdx = Math.min(maxIdx, Math.ceil(upT / h));
  const loIdx = Math.max(minIdx, Math.floor(loT / h));
  if (hiIdx < loIdx) hiIdx = loIdx;
  const n = nextPowerOfTwo(hiIdx - loIdx + 1);
  if (n > maxPoints) return null;
  // Exact bounds at the chosen cut points (mass strictly above the window's top, below its bottom).
  const top = loIdx + n - 1;
  const bUp = top >= maxIdx ? 0 : Math.min(1, ...LAMBDAS.map((l, i) => Math.exp(upL[i]! - l * (top + 1) * h)));
  const bLo = loIdx <= minIdx ? 0 : Math.min(1, ...LAMBDAS.map((l, i) => Math.exp(loL[i]! + l * (loIdx - 1) * h)));

  const accRe = new Float64Array(n);
  const accIm = new Float64Array(n);
  accRe.fill(1);
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  const log2n = Math.log2(n);
  let slack = 0;
  let logFinite = 0;
  for (const { pld, count, errorBound } of phases) {
    re.fill(0);
    im.fill(0);
    let l2 = 0;
    for (let k = 0; k < pld.probs.length; k++) {
      const v = pld.probs[k]!;
      const pos = (((pld.offset + k) % n) + n) % n;
      re[pos] = re[pos]! + v;
      l2 += v * v;
    }
    fft(re, im);
    powInPlace(re, im, count);
    for (let i = 0; i < n; i++) {
      const ar = accRe[i]!;
      const ai = accIm[i]!;
      accRe[i] = ar * re[i]! - ai * im[i]!;
      accIm[i] = ar * im[i]! + ai * re[i]!;
    }
    // Input transform error, amplified at most `count` times by the power (|transform| <= 1),
    // the rounding of the power and of the product, and the single-step masses' own error.
    slack += count * (FFT_ERROR_CONSTANT * U * log2n * Math.sqrt(l2) + 8 * U) + count * errorBound;
    logFinite += count * log1p(-pld.infinityMass);
  }
  fft(accRe, accIm, true);
  slack += 2 * FFT_ERROR_CONSTANT * U * log2n;
  const probs = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const v = accRe[(((loIdx + j) % n) + n) % n]! / n;
    probs[j] = v > 0 ? v : 0;
  }
  probs[0] = probs[0]! + bLo;
  const infinityMass = Math.min(1, -expm1(logFinite) + bUp);
  return { interval: h, offset: loIdx, probs, infinityMass, numericalSlack: slack, truncatedMass: bUp + bLo };
}

/** (re, im) <- (re, im)^k pointwise, by repeated squaring (k >= 1). */
function powInPlace(re: Float64Array, im: Float64Array, k: number): void {
  if (k === 1) return;
  const n = re.length;
  for (let i = 0; i < n; i++) {
    let br = re[i]!;
    let bi = im[i]!;
    let rr = 1;
    let ri = 0;
    let e = k;
    while (e > 0) {
      if (e & 1) {
        const t = rr * br - ri * bi;
        ri = rr * bi + ri * br;
        rr = t;
      }
      e = Math.floor(e / 2);
      if (e > 0) {
        const t = br * br - bi * bi;
        bi = 2 * br * bi;
        br = t;
      }
    }
    re[i] = rr;
    im[i] = ri;
  }
}

/**
 * delta(epsilon) = infinityMass + sum over losses l > epsilon of p_l (1 - exp(epsilon - l)),
 * plus the numerical slack; at most 1. epsilon in nats (any real).
 */
export function pldDelta(p: ComposedPld, epsilon: number): number {
  const h = p.interval;
  let s = 0;
  for (let j = p.probs.length - 1; j >= 0; j--) {
    const l = (p.offset + j) * h;
    if (l <= epsilon) break;
    const v = p.probs[j]!;
    if (v > 0) s += v * -expm1(epsilon - l);
  }
  return Math.min(1, p.infinityMass + p.numericalSlack + s);
}

/**
 * Smallest epsilon >= 0 (nats) with pldDelta(epsilon) <= delta; Infinity when the infinity mass
 * and slack alone exceed delta. Exact for the discrete PLD: on each segment between grid losses
 * delta(epsilon) = A - e^epsilon B, solved in closed form.
 */
export function pldEpsilon(p: ComposedPld, delta: number): number {
  const fixed = p.infinityMass + p.numericalSlack;
  if (fixed >= delta) return Infinity;
  const h = p.interval;
  let a = fixed; // sum of p over losses above the segment, plus the fixed part
  // log of sum of p e^{-l} over the same losses: kept in logs, since e^{-l} underflows for
  // losses above ~745 nats and a vanishing sum would make the solution too small.
  let logB = -Infinity;
  for (let j = p.probs.length - 1; j >= 0; j--) {
    const v = p.probs[j]!;
    if (v === 0) continue;
    const l = (p.offset + j) * h;
    a += v;
    logB = logAdd(logB, Math.log(v) - l);
    // On the segment just below l (down to the next lower loss), delta = a - e^eps b.
    let next = -Infinity;
    for (let k = j - 1; k >= 0; k--) {
      if (p.probs[k]! > 0) {
        next = (p.offset + k) * h;
        break;
      }
    }
    if (next === -Infinity || a - Math.exp(next + logB) > delta) {
      if (a <= delta) return 0;
      // Solve a - e^eps b = delta on [next, l]; nudge up past the logs' rounding.
      const eps = Math.log(a - delta) - logB;
      return Math.max(0, Math.min(l, eps + 8 * U * Math.max(1, Math.abs(eps), Math.abs(logB))));
    }
  }
  return 0;
}
