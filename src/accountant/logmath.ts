/**
 * Log-space helpers for the RDP series, with the rounding-error bookkeeping that lets
 * the callers prove how accurate a float64 result is.
 */
import erfc from '@stdlib/math-base-special-erfc';
import log1p from '@stdlib/math-base-special-log1p';
import expm1 from '@stdlib/math-base-special-expm1';

/** Unit roundoff of float64 (2^-53). */
export const U = 2 ** -53;
export const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** log(exp(a) + exp(b)) without overflow. */
export function logAdd(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const hi = a > b ? a : b;
  const lo = a > b ? b : a;
  return hi + log1p(Math.exp(lo - hi));
}

/** log(exp(x) - 1) for x > 0, accurate for tiny and huge x. */
export function logExpm1(x: number): number {
  if (x < 30) return Math.log(expm1(x));
  return x > 40 ? x : x + log1p(-Math.exp(-x)); // exp(-40) < u: the correction is below 1 ulp
}

/** log(1 + exp(l)): the log of 1 + y given log y. */
export function log1pExp(l: number): number {
  return l < 0 ? log1p(Math.exp(l)) : l + log1p(Math.exp(-l));
}

// Beyond this point erfc(x / sqrt 2) underflows soon (erfc(27.5) is 0 in float64): use the
// asymptotic expansion of the Mills ratio, whose 8-term truncation error at x >= 30 is
// below (17!!) / x^18 < 1e-18 relative (Abramowitz & Stegun 7.1.23).
const ASYMPTOTIC_FROM = 30;

/** log of the Mills ratio M(x) = Q(x) / phi(x) for x >= ASYMPTOTIC_FROM. */
function logMillsAsymptotic(x: number): number {
  const inv2 = 1 / (x * x);
  // M(x) ~ (1/x) * sum_n (-1)^n (2n-1)!! / x^(2n)
  let term = 1;
  let sum = 1;
  for (let n = 1; n <= 8; n++) {
    term *= -(2 * n - 1) * inv2;
    sum += term;
  }
  return Math.log(sum) - Math.log(x);
}

/** log Q(x), Q the standard normal upper tail (Q(x) = erfc(x / sqrt 2) / 2), any real x. */
export function logNormalTail(x: number): number {
  if (x >= ASYMPTOTIC_FROM) return -0.5 * x * x - LOG_SQRT_2PI + logMillsAsymptotic(x);
  return Math.log(0.5 * erfc(x * Math.SQRT1_2));
}

/** log M(x), M(x) = Q(x) / phi(x) the Mills ratio of the standard normal, any real x. */
export function logMills(x: number): number {
  if (x >= ASYMPTOTIC_FROM) return logMillsAsymptotic(x);
  return Math.log(0.5 * erfc(x * Math.SQRT1_2)) + 0.5 * x * x + LOG_SQRT_2PI;
}

/**
 * A signed sum of terms given in log space (log |t|, sign), accumulated in linear float64
 * relative to the largest term seen (rescaled when a larger one arrives), with separate positive
 * and negative parts and a running bound on the absolute error.
 * Error model (all in units of the current scale): a term arrives with relative error relErr;
 * exp(l - ref) adds 2u(|l| + |ref| + 1) relative (its argument carries u(|l| + |ref|) absolute
 * error); each float addition adds at most u * (pos + neg); each rescaling adds u * (pos + neg).
 * Terms that underflow after scaling are below 2^-1000 of the largest and are counted as error.
 */
export class SignedLogSum {
  private ref = -Infinity;
  private pos = 0;
  private neg = 0;
  private err = 0;
  terms = 0;

  private rescale(l: number): void {
    if (this.ref !== -Infinity) {
      const f = Math.exp(this.ref - l);
      this.pos *= f;
      this.neg *= f;
      this.err = this.err * f + U * (this.pos + this.neg) + 2 * U * (Math.abs(l) + Math.abs(this.ref) + 1) * (this.pos + this.neg);
    }
    this.ref = l;
  }

  add(logAbs: number, sign: number, relErr: number): void {
    if (logAbs === -Infinity) return;
    this.terms++;
    if (logAbs > this.ref) this.rescale(logAbs);
    const v = Math.exp(logAbs - this.ref);
    if (sign > 0) this.pos += v;
    else this.neg += v;
    this.err += v * (relErr + 2 * U * (Math.abs(logAbs) + Math.abs(this.ref) + 1)) + U * (this.pos + this.neg);
    if (v === 0) this.err += 2 ** -1000;
  }

  /** Add an extra absolute error (log of it), e.g. a series truncation bound. */
  addError(logAbsErr: number): void {
    if (logAbsErr === -Infinity) return;
    if (logAbsErr > this.ref) this.rescale(logAbsErr);
    this.err += Math.exp(logAbsErr - this.ref) * (1 + 4 * U * (Math.abs(logAbsErr) + Math.abs(this.ref) + 1));
  }

  /** log of the sum of absolute values. */
  logAbsSum(): number {
    return this.ref + Math.log(this.pos + this.neg);
  }

  /** log of the running |sum| (for relative stopping rules); -Infinity if zero. */
  logAbsValue(): number {
    return this.ref + Math.log(Math.abs(this.pos - this.neg));
  }

  /**
   * The sum, when positive: its log, and a bound on its relative error. Returns null when the
   * computed sum is not positive (float64 cannot even tell the sign).
   */
  positiveResult(): { log: number; relErr: number } | null {
    const val = this.pos - this.neg;
    if (!(val > 0)) return null;
    const log = this.ref + Math.log(val);
    // Final subtraction (u (pos + neg)), and the log/add giving `log` (abs error u(|ref| + 2)).
    const relErr = (this.err + U * (this.pos + this.neg)) / val + 2 * U * (Math.abs(this.ref) + Math.abs(log) + 2);
    return { log, relErr };
  }
}
