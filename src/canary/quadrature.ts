/**
 * Adaptive Gauss-Legendre quadrature: a 20-point rule on an interval is accepted when it agrees
 * with the sum of the rule on the two halves to a relative tolerance, otherwise both halves are
 * refined. Nodes and weights are computed once by Newton's method on the Legendre polynomial
 * (Press et al., Numerical Recipes, 3rd ed., section 4.6, `gauleg`).
 */

const ORDER = 20;

function legendreNodes(n: number): { x: Float64Array; w: Float64Array } {
  const x = new Float64Array(n);
  const w = new Float64Array(n);
  for (let i = 0; i < Math.ceil(n / 2); i++) {
    let z = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 0;
    for (let iter = 0; iter < 100; iter++) {
      let p0 = 1;
      let p1 = z;
      for (let k = 2; k <= n; k++) {
        const p2 = ((2 * k - 1) * z * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      dp = (n * (z * p1 - p0)) / (z * z - 1);
      const dz = p1 / dp;
      z -= dz;
      if (Math.abs(dz) < 1e-16) break;
    }
    x[i] = -z;
    x[n - 1 - i] = z;
    w[i] = w[n - 1 - i] = 2 / ((1 - z * z) * dp * dp);
  }
  return { x, w };
}

const NODES = legendreNodes(ORDER);

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
