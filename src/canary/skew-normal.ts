import log1p from '@stdlib/math-base-special-log1p';
import { logNormalCdf, logNormalPdf, normalCdf } from './normal.js';
import { owensT } from './owens-t.js';
import { integrate } from './quadrature.js';
import { nelderMead } from './nelder-mead.js';
import { InvalidArgumentError } from '../util/errors.js';

/**
 * Skew-normal distribution (Azzalini 1985): density
 *   f(x) = (2 / scale) phi(z) Phi(shape * z),  z = (x - location) / scale,
 * CDF F(x) = Phi(z) - 2 T(z, shape) (T = Owen's T). shape 0 is the normal distribution.
 */
export interface SkewNormal {
  /** alpha: 0 symmetric, > 0 right-skewed, < 0 left-skewed. */
  shape: number;
  /** xi (same unit as the data). */
  location: number;
  /** omega > 0 (same unit as the data). */
  scale: number;
}

/** ln f(x). */
export function skewNormalLogPdf(d: SkewNormal, x: number): number {
  const z = (x - d.location) / d.scale;
  return Math.LN2 - Math.log(d.scale) + logNormalPdf(z) + logNormalCdf(d.shape * z);
}

// Above this the Owen's T formula is accurate to ~1e-10 relative; below it the CDF is
// computed as a log-space integral of the density, which does not cancel.
const DIRECT_FROM = 1e-6;

/**
 * ln F(x), finite and accurate (relative error ~1e-10 or better) far into the lower tail where F
 * itself underflows: ln F(x) = ln f(x) + ln integral_0^inf exp(ln f(x - s) - ln f(x)) ds.
 */
export function skewNormalLogCdf(d: SkewNormal, x: number): number {
  const z = (x - d.location) / d.scale;
  if (Number.isNaN(z)) return NaN;
  if (z === Infinity) return 0;
  if (z === -Infinity) return -Infinity;
  const direct = normalCdf(z) - 2 * owensT(z, d.shape);
  if (direct >= DIRECT_FROM) return direct > 0.5 ? log1p(direct - 1) : Math.log(direct);
  return logTailIntegral(d.shape, z);
}

/** F(x). */
export function skewNormalCdf(d: SkewNormal, x: number): number {
  return Math.exp(skewNormalLogCdf(d, x));
}

/**
 * ln integral_{-inf}^{z} 2 phi(t) Phi(alpha t) dt in standard units, integrating
 * exp(g(z - s) - g(z)) over s >= 0 in pieces of doubling width until they stop contributing.
 */
function logTailIntegral(alpha: number, z: number): number {
  const g = (t: number): number => Math.LN2 + logNormalPdf(t) + logNormalCdf(alpha * t);
  const gz = g(z);
  // Slope of g at z sets the decay scale of the integrand.
  const mills = Math.exp(logNormalPdf(alpha * z) - logNormalCdf(alpha * z));
  const slope = -z + alpha * mills;
  let width = 1 / Math.max(1, Math.abs(slope));
  const f = (s: number): number => Math.exp(g(z - s) - gz);
  let total = 0;
  let lo = 0;
  for (let piece = 0; piece < 200; piece++) {
    // Once a first piece is in, accuracy is relative to the whole integral, not to the piece.
    const part = integrate(f, lo, lo + width, 1e-12, 1e-14 * total);
    total += part;
    lo += width;
    width *= 2;
    if (part <= 1e-17 * total && piece > 2) break;
  }
  return gz + Math.log(total);
}

/** Mean and standard deviation of a sample. */
function moments(xs: ArrayLike<number>): { mean: number; sd: number; skew: number } {
  const n = xs.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += xs[i]!;
  mean /= n;
  let m2 = 0;
  let m3 = 0;
  for (let i = 0; i < n; i++) {
    const d = xs[i]! - mean;
    m2 += d * d;
    m3 += d * d * d;
  }
  m2 /= n;
  m3 /= n;
  return { mean, sd: Math.sqrt(m2), skew: m2 > 0 ? m3 / m2 ** 1.5 : 0 };
}

/**
 * Method-of-moments skew-normal (Azzalini 1985): from the sample skewness gamma (clipped inside
 * the attainable |gamma| < 0.9953), |delta| = sqrt((pi/2) g / (g + ((4 - pi)/2)^(2/3))) with
 * g = |gamma|^(2/3), shape = delta / sqrt(1 - delta^2), scale = sd / sqrt(1 - 2 delta^2 / pi),
 * location = mean - scale * delta * sqrt(2/pi).
 */
export function skewNormalMoments(xs: ArrayLike<number>): SkewNormal {
  const { mean, sd, skew } = moments(xs);
  const gamma = Math.max(-0.99, Math.min(0.99, skew));
  const g = Math.abs(gamma) ** (2 / 3);
  const delta = Math.sign(gamma) * Math.sqrt(((Math.PI / 2) * g) / (g + ((4 - Math.PI) / 2) ** (2 / 3)));
  const scale = sd / Math.sqrt(1 - (2 * delta * delta) / Math.PI);
  return { shape: delta / Math.sqrt(1 - delta * delta), location: mean - scale * delta * Math.sqrt(2 / Math.PI), scale };
}

/** Largest |shape| the fit considers (the likelihood can keep rising towards a half-normal). */
const MAX_SHAPE = 1000;

/**
 * Maximum-likelihood skew-normal fit: the data are standardized, the method-of-moments
 * estimate starts a Nelder-Mead search over (location, ln scale, shape), restarted from its
 * best point until it stops improving, and the result is mapped back to the data's units.
 * Needs at least 3 values with positive spread (the caller checks and explains).
 */
export function fitSkewNormal(xs: ArrayLike<number>): SkewNormal {
  const { mean, sd } = moments(xs);
  if (!(sd > 0)) throw new InvalidArgumentError('skew-normal fit needs values with positive spread');
  const n = xs.length;
  const ys = new Float64Array(n);
  for (let i = 0; i < n; i++) ys[i] = (xs[i]! - mean) / sd;
  const negLogLik = (p: readonly number[]): number => {
    const [loc, logScale, shape] = p as [number, number, number];
    if (!Number.isFinite(logScale) || Math.abs(shape) > MAX_SHAPE || Math.abs(logScale) > 20) return Infinity;
    const inv = Math.exp(-logScale);
    let s = 0;
    for (let i = 0; i < n; i++) {
      const z = (ys[i]! - loc) * inv;
      s += logNormalPdf(z) + logNormalCdf(shape * z);
    }
    return -(s + n * (Math.LN2 - logScale));
  };
  const start = skewNormalMoments(ys);
  let best = nelderMead(negLogLik, [start.location, Math.log(start.scale), start.shape], { steps: [0.2, 0.2, 1] });
  for (let restart = 0; restart < 5; restart++) {
    const again = nelderMead(negLogLik, best.x, { steps: [0.05, 0.05, 0.5] });
    const gain = best.value - again.value;
    if (again.value < best.value) best = again;
    if (!(gain > 1e-9)) break;
  }
  const [loc, logScale, shape] = best.x as [number, number, number];
  return { shape, location: mean + sd * loc, scale: sd * Math.exp(logScale) };
}
