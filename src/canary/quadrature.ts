/**
 * Adaptive Gauss-Legendre quadrature: a 20-point rule on an interval is accepted when it agrees
 * with the sum of the rule on the two halves to a relative tolerance, otherwise both halves are
 * refined. Nodes and weights come from util/gauss-legendre.ts, computed once.
 */
import { gaussLegendre } from '../util/gauss-legendre.js';

const ORDER = 20;

const NODES = gaussLegendre(ORDER);

function rule(f: (t: number) => number, a: number, b: number): number {
  const half = 0.5 * (b - a);
  const mid = 0.5 * (a + b);
  let s = 0;
  for (let i = 0; i < ORDER; i++) s += NODES.w[i]! * f(mid + half * NODES.x[i]!);
  return s * half;
}

/**
 * Integral of a smooth f over [a, b] to about `relTol` relative accuracy (absolute floor
 * `absTol`), refining at most `maxDepth` times.
 */
export function integrate(f: (t: number) => number, a: number, b: number, relTol = 1e-13, absTol = 0, maxDepth = 24): number {
  const go = (lo: number, hi: number, whole: number, depth: number): number => {
    const mid = 0.5 * (lo + hi);
    const left = rule(f, lo, mid);
    const right = rule(f, mid, hi);
    const both = left + right;
    if (depth >= maxDepth || Math.abs(both - whole) <= Math.max(relTol * Math.abs(both), absTol)) return both;
    return go(lo, mid, left, depth + 1) + go(mid, hi, right, depth + 1);
  };
  return go(a, b, rule(f, a, b), 0);
}
