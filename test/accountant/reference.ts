/**
 * Independent reference computations for the accountant tests (not used by src/):
 * high-precision integer-order RDP by the plain binomial expansion (decimal.js), fractional-order
 * RDP by numerical quadrature of a positive integrand, and the naive float64 signed series.
 */
import { Decimal } from 'decimal.js';
import erfc from '@stdlib/math-base-special-erfc';

/**
 * RDP at integer alpha >= 2 from A = sum_k C(a,k) (1-q)^(a-k) q^k exp((k^2-k)/(2 sigma^2))
 * (Mironov et al. 2019, Sec. 3.2), evaluated with `digits` significant digits.
 */
export function decimalIntegerRdp(q: number, sigma: number, alpha: number, digits = 60): number {
  const D = Decimal.clone({ precision: digits });
  const dq = new D(q);
  const one = new D(1);
  const s2 = new D(sigma).pow(2).times(2);
  let A = new D(0);
  let binom = new D(1);
  for (let k = 0; k <= alpha; k++) {
    if (k > 0) binom = binom.times(alpha - k + 1).div(k);
    const term = binom
      .times(one.minus(dq).pow(alpha - k))
      .times(dq.pow(k))
      .times(new D(k * k - k).div(s2).exp());
    A = A.plus(term);
  }
  return A.ln().div(alpha - 1).toNumber();
}

/** f(x) = (1+x)^a - 1 - a x >= 0 (a > 1, x > -1), without cancellation for small |x|. */
function convexGap(x: number, a: number): number {
  if (Math.abs(x) < 0.05) {
    let term = (a * (a - 1) * x * x) / 2;
    let sum = term;
    for (let k = 3; k < 60; k++) {
      term *= ((a - k + 1) * x) / k;
      sum += term;
      if (Math.abs(term) < 1e-18 * Math.abs(sum)) break;
    }
    return sum;
  }
  return Math.pow(1 + x, a) - 1 - a * x;
}

/**
 * RDP at any order by quadrature: with L(z) = 1 + q (exp((2z-1)/(2 sigma^2)) - 1) and
 * z ~ N(0, sigma^2), E[L] = 1, so A - 1 = E[L^a - 1 - a (L - 1)], a positive integrand (no
 * cancellation). Trapezoid rule on a fine grid (spectrally accurate for this smooth, rapidly
 * decaying integrand).
 */
export function quadratureRdp(q: number, sigma: number, alpha: number, steps = 40000): number {
  const lo = -14 * sigma;
  const hi = Math.max(alpha, 1) + 14 * sigma + 1;
  const h = (hi - lo) / steps;
  let sum = 0;
  for (let i = 0; i <= steps; i++) {
    const z = lo + i * h;
    const x = q * Math.expm1((2 * z - 1) / (2 * sigma * sigma));
    const w = Math.exp((-z * z) / (2 * sigma * sigma)) / (sigma * Math.sqrt(2 * Math.PI));
    const v = w * convexGap(x, alpha);
    sum += i === 0 || i === steps ? v / 2 : v;
  }
  return Math.log1p(sum * h) / (alpha - 1);
}

/**
 * The fractional-order series of Mironov et al. (Sec. 3.3) summed naively in float64, each term
 * in the direct form (as older TensorFlow Privacy and Opacus do); `abs` sums absolute values
 * instead (as dp_accounting does since 2024). Fixed number of terms, no error control.
 */
export function naiveSeriesRdp(q: number, sigma: number, alpha: number, abs = false, terms = 400): number {
  const lq = Math.log(q);
  const l1q = Math.log1p(-q);
  const s2 = 2 * sigma * sigma;
  const z0 = sigma * sigma * (l1q - lq) + 0.5;
  const logQ = (x: number): number => Math.log(0.5 * erfc(x / Math.SQRT2));
  let pos = 0;
  let neg = 0;
  let logC = 0;
  let sign = 1;
  for (let k = 0; k < terms; k++) {
    const j = alpha - k;
    const t0 = Math.exp(logC + j * l1q + k * lq + (k * k - k) / s2 + logQ((k - z0) / sigma));
    const t1 = Math.exp(logC + k * l1q + j * lq + (j * j - j) / s2 + logQ((z0 - j) / sigma));
    if (sign > 0 || abs) pos += t0 + t1;
    else neg += t0 + t1;
    logC += Math.log(Math.abs(alpha - k)) - Math.log(k + 1);
    if (alpha - k < 0) sign = -sign;
  }
  return Math.log(pos - neg) / (alpha - 1);
}
