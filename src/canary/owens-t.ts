import { normalCdf, normalSf } from './normal.js';
import { integrate } from './quadrature.js';

/**
 * Owen's T function (Owen 1956, "Tables for computing bivariate normal probabilities"):
 *   T(h, a) = (1 / 2pi) * integral_0^a exp(-h^2 (1 + x^2) / 2) / (1 + x^2) dx.
 * Computed by adaptive Gauss-Legendre quadrature of this definition for |a| <= 1, where the
 * integrand is smooth and bounded, and for |a| > 1 through Owen's identity (Owen 1956, eq. 2.3;
 * also Patefield & Tandy 2000, J. Stat. Software 5(5), eq. 3), for h >= 0, a > 0:
 *   T(h, a) = [Phi(h) + Phi(ah)] / 2 - Phi(h) Phi(ah) - T(ah, 1/a)
 *           = [Phi(h) Q(ah) + Phi(ah) Q(h)] / 2 - T(ah, 1/a),
 * written with upper tails Q to avoid cancellation. T is even in h and odd in a.
 * Absolute accuracy is about 1e-16; relative accuracy holds while T is not far below that.
 */
export function owensT(h: number, a: number): number {
  if (Number.isNaN(h) || Number.isNaN(a)) return NaN;
  if (a < 0) return -owensT(h, -a);
  if (a === 0) return 0;
  const hh = Math.abs(h);
  if (a <= 1) return owensTSmallA(hh, a);
  if (a === Infinity) return 0.5 * normalSf(hh);
  const ah = a * hh;
  return 0.5 * (normalCdf(hh) * normalSf(ah) + normalCdf(ah) * normalSf(hh)) - owensTSmallA(ah, 1 / a);
}

function owensTSmallA(h: number, a: number): number {
  const h2 = 0.5 * h * h;
  // Factor exp(-h^2/2) out so the integrand is O(1) and the relative tolerance is meaningful.
  const f = (x: number): number => Math.exp(-h2 * x * x) / (1 + x * x);
  // The integrand falls off on the scale 1/h: split there so the adaptive rule sees its shape.
  const knee = h > 1 ? Math.min(a, 4 / h) : a;
  let s = integrate(f, 0, knee, 1e-14, 1e-17);
  if (knee < a) s += integrate(f, knee, a, 1e-14, 1e-17);
  return (Math.exp(-h2) * s) / (2 * Math.PI);
}
