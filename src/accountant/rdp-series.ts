/**
 * Float64 evaluation of A_alpha - 1 for the Poisson-subsampled Gaussian mechanism, with a
 * proven bound on its relative error. A_alpha = E_{z~N(0,s^2)}[((1-q) + q e^{(2z-1)/(2s^2)})^alpha]
 * and RDP(alpha) = log(A_alpha) / (alpha - 1) (Mironov, Talwar, Zhang 2019, arXiv 1908.10530,
 * Sec. 3: A_alpha >= B_alpha, so A_alpha gives the add/remove-one RDP).
 *
 * We sum for A - 1 rather than A: when q is small A is 1 + O(q^2), and log(A) from a float64 A
 * would keep only ~16 - log10(1/(A-1)) significant digits.
 */
import log1p from '@stdlib/math-base-special-log1p';
import expm1 from '@stdlib/math-base-special-expm1';
import { LOG_SQRT_2PI, SignedLogSum, U, logAdd, logExpm1, logMills, logNormalTail } from './logmath.js';

/** A float64 value of log(A - 1) with its relative error bound (on A - 1), or null. */
export interface SeriesResult {
  /** log(A_alpha - 1) as computed (not yet inflated by the error bound). */
  logDeltaA: number;
  /** Bound on |computed - exact| / exact for A_alpha - 1 (rounding and truncation). */
  relErr: number;
  /** Terms summed. */
  terms: number;
}

/**
 * Integer alpha >= 2: A - 1 = sum_{k=2..alpha} C(alpha,k) q^k (1-q)^(alpha-k) expm1(k(k-1)/(2 sigma^2)).
 * (From the binomial expansion of A_alpha (Mironov et al. 2019, Sec. 3.2) minus
 * sum_k C(alpha,k) q^k (1-q)^(alpha-k) = 1; the k = 0, 1 terms vanish.) Every term is
 * positive, so the float64 sum has no cancellation. 0 < q < 1, sigma > 0.
 */
export function integerOrderSeries(q: number, sigma: number, alpha: number): SeriesResult {
  const lq = Math.log(q);
  const l1q = log1p(-q);
  const s2 = 2 * sigma * sigma;
  const logInt = logIntegers(alpha);
  const sum = new SignedLogSum();
  // log C(alpha, k) by the recurrence C(alpha,k) = C(alpha,k-1) (alpha-k+1)/k, from a table of
  // log(n); errC bounds its accumulated absolute error (each table entry within u |log n|,
  // each addition within u |result|).
  let logC = Math.log(alpha); // k = 1
  let errC = U * logC;
  for (let k = 2; k <= alpha; k++) {
    logC += logInt[alpha - k + 1]! - logInt[k]!;
    errC += U * (logInt[alpha - k + 1]! + logInt[k]! + 2 * Math.abs(logC));
    const x = (k * k - k) / s2;
    const le = logExpm1(x);
    const a1 = k * lq;
    const a2 = (alpha - k) * l1q;
    const mag = Math.abs(a1) + Math.abs(a2) + Math.abs(le) + x + 1;
    sum.add(logC + a1 + a2 + le, 1, 16 * U * (mag + 4) + errC);
  }
  const r = sum.positiveResult();
  if (r === null) return { logDeltaA: -Infinity, relErr: 0, terms: sum.terms };
  return { logDeltaA: r.log, relErr: r.relErr, terms: sum.terms };
}

let logIntTable = new Float64Array([0, 0]);
/** Table of log(n) for n = 0..max (entry 0 unused), grown on demand. */
function logIntegers(max: number): Float64Array {
  if (logIntTable.length <= max) {
    const t = new Float64Array(Math.max(max + 1, 2 * logIntTable.length));
    for (let n = 1; n < t.length; n++) t[n] = Math.log(n);
    logIntTable = t;
  }
  return logIntTable;
}

/** One evaluated term (written in place to avoid allocation in the hot loop). */
interface TermOut {
  /** log |term| */
  l: number;
  /** relative error bound of the term */
  err: number;
  /** sign of the term relative to sign(C(alpha,k)) */
  sign: number;
  /** log of the bound on |Delta^m| for the Euler tail (a + b for paired terms, else l) */
  lMag: number;
}

/** Number of forward differences in the Euler transform of each alternating tail. */
export const EULER_TERMS = 64;

// Scratch buffers reused across calls (the functions here are synchronous and not re-entrant):
// the cold path evaluates ~100 orders per epsilon, and fresh typed arrays per order cost GC time.
let eulerScratch = new Float64Array(EULER_TERMS + 1);
const SCR = Array.from({ length: 11 }, () => new Float64Array(EULER_TERMS + 1));

/**
 * Euler transform of an alternating tail sum_{j>=0} (-1)^j b_j, given b_j / b_0 for
 * j = 0..M (M = b.length - 1), for a completely monotone (Hausdorff moment) sequence b:
 *   sum_j (-1)^j b_j = sum_{m>=0} (-1)^m Delta^m b_0 / 2^(m+1),
 * every term >= 0, and the remainder after M terms lies in [0, (-1)^M Delta^M b_0 / 2^M]
 * (write b_j = int s^j dnu, then 1/(1+s) = sum_m (1-s)^m / 2^(m+1)). The transform is linear, so
 * it also sums a difference b = a - c of two such sequences; pass mag_j >= a_j + c_j, which bounds
 * every |Delta^m b_j|, and the remainder is then at most mag_0 / 2^M.
 * Rounding: an input error eps_j on b_j reaches the sum with total weight
 * sum_{m>=j} C(m,j) / 2^(m+1) = 1, so input errors add at most sum_j eps_j; a rounding in the
 * difference table at level m (at most u b_j, since |Delta^m b_j| <= b_j) has weight <= 2^-m,
 * so those add at most 2u sum_j b_j; the M additions add M u sum.
 * `absErr[j]` bounds the error of b[j]. Returns the sum and an absolute error bound (same units).
 */
export function eulerTail(
  b: Float64Array,
  absErr: Float64Array,
  mag?: Float64Array,
  n: number = b.length,
): { sum: number; err: number } {
  const M = n - 1;
  const d = eulerScratch.length >= n ? eulerScratch : (eulerScratch = new Float64Array(n));
  d.set(b.subarray(0, n));
  let sum = 0;
  let scale = 0.5;
  let inErr = 0;
  let magSum = 0;
  for (let j = 0; j <= M; j++) {
    inErr += absErr[j]!;
    magSum += mag ? mag[j]! : Math.abs(b[j]!);
  }
  for (let m = 0; m < M; m++) {
    sum += d[0]! * scale;
    for (let j = 0; j < M - m; j++) d[j] = d[j]! - d[j + 1]!;
    scale *= 0.5;
  }
  // After the loop d[0] = (-1)^M Delta^M b_0 (computed); scale = 2^-(M+1). For a difference of
  // two completely monotone sequences (mag given), the two remainders partly cancel and their
  // difference is at most mag_0 / 2^M.
  const remainder = mag ? mag[0]! * scale * 2 + inErr : (Math.abs(d[0]!) + 2 * U * magSum) * scale * 2 + inErr;
  const err = inErr + 2 * U * magSum + (M + 2) * U * Math.abs(sum) + remainder;
  return { sum, err };
}

/**
 * Fractional alpha > 1, 0 < q < 1, sigma > 0: the series of Mironov et al. 2019 (Sec. 3.3),
 * which splits the integral at z0 = sigma^2 log(1/q - 1) + 1/2 and expands each side
 * binomially:
 *   A = sum_{k>=0} C(alpha,k) [ (1-q)^(alpha-k) q^k e^{(k^2-k)/(2s^2)} Q((k - z0)/s)
 *                             + (1-q)^k q^(alpha-k) e^{((alpha-k)^2-(alpha-k))/(2s^2)} Q((z0-alpha+k)/s) ]
 * (Q the standard normal tail). Substituting q/(1-q) = e^{-(z0-1/2)/s^2}, every term collapses to
 *   K C(alpha,k) M(x),  K = (1-q)^alpha e^{-z0^2/(2s^2)} / sqrt(2 pi),
 * with M the Mills ratio Q/phi and x = (k - z0)/s or (z0 - alpha + k)/s. We evaluate each term in
 * whichever of the two equal forms has smaller intermediate logs (error ~ u * their size).
 *
 * Tails: from k0 = floor(alpha)+1 on, the signs of C(alpha,k) alternate and
 * |C(alpha,k)| = |sin(pi alpha)| Gamma(alpha+1) Gamma(k-alpha) / (pi Gamma(k+1)) is a Hausdorff
 * moment sequence in k (Beta integral), as is M(x_k) = int_0^inf e^{-x_k t - t^2/2} dt (x_k
 * affine in k); so their product is completely monotone and each half's tail is summed exactly
 * by the Euler transform (eulerTail) with a proven remainder bound. No slow polynomial tails.
 *
 * Subtracting 1: for q <= 1/2, 1 = sum_k C(alpha,k) (1-q)^alpha r^k (r = q/(1-q) <= 1), and
 * each first-half term is paired with its term of that series:
 *   C(alpha,k) (1-q)^alpha r^k [e^{(k^2-k)/(2s^2)} Q((k - z0)/s) - 1],
 * the bracket evaluated without cancelling O(1) parts (via expm1 and the lower tail); for q > 1/2
 * the mirror identity pairs the second half. Both parts of a paired tail are completely
 * monotone, so the Euler transform still applies (to their difference). The sum is A - 1
 * directly: A - 1 is O(q^2) (and O(q^2/sigma^2) for large sigma), so summing A would lose it.
 *
 * Cancellation: the series alternates, so the signed float64 sum can lose digits. The positive
 * and negative parts are accumulated separately, each term with an error bound of
 * 16u (sum of |intermediate logs| + 4) relative; the returned relErr is (sum of term errors +
 * summation errors + tail bounds) / |A - 1|: it grows with (sum |t|) / |sum t|, the
 * cancellation factor. Returns null when float64 cannot determine the sign of the sum.
 */
export function fractionalOrderSeries(q: number, sigma: number, alpha: number): SeriesResult | null {
  const lq = Math.log(q);
  const l1q = log1p(-q);
  const s2 = 2 * sigma * sigma;
  const z0 = sigma * sigma * (l1q - lq) + 0.5;
  const z0Mag = Math.abs(z0) / sigma; // x carries an absolute error ~u (|x| + |z0|/sigma)
  // Error magnitude (in units of u) of log Q(x): x's own error times the sensitivity
  // |d log Q / dx| = 1/M(x), which is below 1 for x <= 0 and about x + 1 beyond; plus the
  // evaluation of erfc at x/sqrt(2) (relative error of the argument, amplified by x^2).
  const tailMag = (x: number): number => (x <= 0 ? Math.abs(x) + z0Mag + 1 : (x + z0Mag + 1) * (x + 1) + x * x);
  const logK = alpha * l1q - (z0 * z0) / s2 - LOG_SQRT_2PI;
  const logKMag = Math.abs(alpha * l1q) + (2 * z0 * z0) / s2 + 1;
  const sum = new SignedLogSum();
  const kAlt = Math.floor(alpha) + 1;
  const M = EULER_TERMS;
  const logInt = logIntegers(kAlt + M + 2);

  // The identity 1 = sum_k C(alpha,k) q^k (1-q)^(alpha-k), a convergent binomial series when
  // r = q/(1-q) <= 1, is subtracted termwise from the first half ("paired" terms, below); for
  // q > 1/2 the mirror identity 1 = sum_j C(alpha,j) (1-q)^j q^(alpha-j) (ratio 1/r < 1) is
  // subtracted from the second half instead. So no O(q^2)-sized parts cancel against each other
  // and the sum is A - 1 directly.
  const pairLeft = q <= 0.5;

  // Paired term: C(alpha,k) P [e^{c} Q(x) - 1], where P = (1-q)^alpha r^k, c = (k^2-k)/(2s^2),
  // x = (k - z0)/s on the first half, and P = q^alpha r^(-j), c = (m^2-m)/(2s^2), m = alpha - j,
  // x = (z0 - m)/s on the second. Returns log |d|, the sign of the bracket, its relative error,
  // and log(a + b) where a = C P e^c Q(x) and b = C P are the two (completely monotone) parts,
  // for the Euler tail.
  const lr = lq - l1q;
  const pairedInto = (out: TermOut, logC: number, k: number, left: boolean): void => {
    const m = alpha - k;
    const x = left ? (k - z0) / sigma : (z0 - m) / sigma;
    const c = left ? (k * k - k) / s2 : (m * m - m) / s2;
    const base = left ? logC + alpha * l1q + k * lr : logC + alpha * lq - k * lr;
    const baseMag = Math.abs(alpha * (left ? l1q : lq)) + Math.abs(k * lr) + 2;
    let lBeta: number;
    let sign: number;
    let relBeta: number;
    let lA: number;
    if (x < 0) {
      // e^c Q(x) - 1 = e^c [(1 - e^{-c}) - Q(|x|)]
      const w = -expm1(-c);
      const lQ = logNormalTail(-x);
      const Qx = Math.exp(lQ);
      const diff = w - Qx;
      const absErr = 4 * U * (w * (c + 2) + Qx * (Math.abs(lQ) + tailMag(-x) + 2));
      if (diff === 0) {
        out.l = -Infinity;
        out.sign = 1;
        out.err = 0;
        out.lMag = base + logAdd(c + Math.log1p(-Qx), 0);
        return;
      }
      lBeta = c + Math.log(Math.abs(diff));
      sign = diff > 0 ? 1 : -1;
      relBeta = absErr / Math.abs(diff) + 4 * U * (c + 1);
      lA = c + Math.log1p(-Qx);
    } else {
      const lQ = logNormalTail(x);
      const L = c + lQ;
      const dL = 4 * U * (c + Math.abs(lQ) + tailMag(x) + 2);
      if (L > 0) {
        lBeta = logExpm1(L);
        sign = 1;
      } else {
        lBeta = Math.log(-expm1(L));
        sign = -1;
      }
      // d(e^L - 1) = e^L dL
      relBeta = (dL * Math.exp(L - lBeta)) + 2 * U;
      lA = L;
    }
    out.l = base + lBeta;
    out.sign = sign;
    out.err = 16 * U * baseMag + relBeta;
    out.lMag = base + logAdd(lA, 0);
  };

  // One half-series term: log |t| and its relative error, in the better-conditioned form.
  // `e` is the power of q/(1-q) inside it (k on the left, alpha - k on the right).
  const termInto = (out: TermOut, logC: number, e: number, x: number): void => {
    out.sign = 1;
    if (x < 0) {
      const lQ = logNormalTail(x);
      const a1 = (alpha - e) * l1q;
      const a2 = e * lq;
      const a3 = (e * e - e) / s2;
      const mag = Math.abs(a1) + Math.abs(a2) + Math.abs(a3) + Math.abs(lQ) + tailMag(x);
      out.l = logC + a1 + a2 + a3 + lQ;
      out.err = 16 * U * (mag + 4);
    } else {
      const lM = logMills(x);
      // log M(x) = log Q(x) + x^2/2 + const is computed with error ~u x^2; its sensitivity to x
      // is |x - 1/M(x)| <= 1 for x >= 0.
      const mag = logKMag + Math.abs(lM) + x * x + Math.abs(x) + z0Mag + 1;
      out.l = logK + logC + lM;
      out.err = 16 * U * (mag + 4);
    }
    out.lMag = out.l;
  };

  // log |C(alpha,k)| by the recurrence C(alpha,k+1) = C(alpha,k) (alpha-k)/(k+1), with a running
  // bound on its absolute error (each step: alpha-k rounded (u), two logs and an add).
  let logC = 0;
  let signC = 1;
  let errC = 0;
  const [tailL, tailR, tailErrL, tailErrR, tailSgnL, tailMagL, tailSgnR, tailMagR, b, eb, mag] = SCR as [
    Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array,
    Float64Array, Float64Array, Float64Array, Float64Array, Float64Array,
  ];
  let tailSign = 1;
  const left: TermOut = { l: 0, err: 0, sign: 1, lMag: 0 };
  const right: TermOut = { l: 0, err: 0, sign: 1, lMag: 0 };
  // Euler terms needed per half, fixed once the first tail term is known (below).
  let mL = M;
  let mR = M;
  let kEnd = kAlt + M;
  for (let k = 0; k <= kEnd; k++) {
    const j = k - kAlt;
    const hasLeft = j <= mL;
    const hasRight = j <= mR;
    if (hasLeft) {
      if (pairLeft) pairedInto(left, logC, k, true);
      else termInto(left, logC, k, (k - z0) / sigma);
    }
    if (hasRight) {
      if (!pairLeft) pairedInto(right, logC, k, false);
      else termInto(right, logC, alpha - k, (z0 - alpha + k) / sigma);
    }
    if (k < kAlt) {
      if (hasLeft) sum.add(left.l, signC * left.sign, left.err + errC);
      if (hasRight) sum.add(right.l, signC * right.sign, right.err + errC);
    } else {
      if (k === kAlt) tailSign = signC;
      if (hasLeft) {
        tailL[j] = left.l;
        tailSgnL[j] = left.sign;
        tailMagL[j] = left.lMag;
        tailErrL[j] = left.err + errC;
      }
      if (hasRight) {
        tailR[j] = right.l;
        tailSgnR[j] = right.sign;
        tailMagR[j] = right.lMag;
        tailErrR[j] = right.err + errC;
      }
      if (j === 0) {
        // The remainder after m Euler terms is at most (first magnitude) / 2^m: take just enough
        // terms to push it below 1e-13 of the partial sum (the final error check still applies).
        const ref = sum.logAbsValue();
        const need = (l0: number): number =>
          l0 === -Infinity ? 0 : Math.min(M, Math.max(0, Math.ceil((l0 - ref - Math.log(1e-13)) / Math.LN2) + 2));
        mL = need(tailMagL[0]!);
        mR = need(tailMagR[0]!);
        kEnd = kAlt + Math.max(mL, mR);
      }
    }
    const f = alpha - k;
    const lf = Math.log(Math.abs(f));
    const lk = logInt[k + 1]!;
    logC += lf - lk;
    if (f < 0) signC = -signC;
    errC += U * (1 + 2 * Math.abs(lf) + 2 * lk + Math.abs(logC));
  }
  // Euler tails. Values are scaled by S = exp(l0) (l0 the log of the first magnitude): b_j
  // approximates t_j / S with the relative error of t_j plus the rounding of exp(l_j - l0).
  // With m = 0 terms the tail is bounded by its first magnitude (Leibniz; for a difference of
  // two completely monotone tails, by the larger first term).
  const tails: [Float64Array, Float64Array, Float64Array | null, Float64Array | null, number][] = [
    [tailL, tailErrL, pairLeft ? tailSgnL : null, pairLeft ? tailMagL : null, mL],
    [tailR, tailErrR, pairLeft ? null : tailSgnR, pairLeft ? null : tailMagR, mR],
  ];
  for (const [tl, te, sg, lm, m] of tails) {
    const l0 = lm ? lm[0]! : tl[0]!;
    if (l0 === -Infinity) continue;
    if (m === 0) {
      sum.addError(l0);
      continue;
    }
    for (let j = 0; j <= m; j++) {
      const dl = tl[j]! - l0;
      const v = Math.exp(dl);
      b[j] = sg ? sg[j]! * v : v;
      eb[j] = v * (te[j]! + 2 * U * (Math.abs(dl) + 1));
      if (lm) mag[j] = Math.exp(lm[j]! - l0) * (1 + 4 * U * (Math.abs(lm[j]! - l0) + 1));
    }
    const { sum: s, err } = eulerTail(b, eb, lm ? mag : undefined, m + 1);
    if (s !== 0) sum.add(l0 + Math.log(Math.abs(s)), tailSign * Math.sign(s), 2 * U * (Math.abs(l0) + 2));
    sum.addError(l0 + Math.log(err));
  }
  const r = sum.positiveResult();
  if (r === null) return null;
  return { logDeltaA: r.log, relErr: r.relErr, terms: sum.terms };
}

