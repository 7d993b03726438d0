import erfc from '@stdlib/math-base-special-erfc';
import log1p from '@stdlib/math-base-special-log1p';

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** ln phi(x), the standard normal log-density. */
export function logNormalPdf(x: number): number {
  return -0.5 * x * x - LOG_SQRT_2PI;
}

/** Phi(x), the standard normal CDF (relative accuracy kept in the lower tail via erfc). */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

/** Q(x) = 1 - Phi(x), accurate in the upper tail. */
export function normalSf(x: number): number {
  return 0.5 * erfc(x / Math.SQRT2);
}

// Below -ASYMPTOTIC the Mills-ratio series is used: erfc(-x/sqrt 2) underflows near x = -38, and
// the series truncated after 1/x^10 has relative error below 10395/x^12 < 3e-14 there
// (Abramowitz & Stegun 26.2.12).
const ASYMPTOTIC = 30;

/** ln Phi(x) for every real x, finite down to x = -1e150 or so. */
export function logNormalCdf(x: number): number {
  if (x > 0) return log1p(-0.5 * erfc(x / Math.SQRT2));
  if (x > -ASYMPTOTIC) return Math.log(0.5 * erfc(-x / Math.SQRT2));
  const t = 1 / (x * x);
  const series = 1 - t * (1 - 3 * t * (1 - 5 * t * (1 - 7 * t * (1 - 9 * t))));
  return logNormalPdf(x) - Math.log(-x) + Math.log(series);
}
