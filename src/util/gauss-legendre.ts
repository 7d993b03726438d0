/**
 * Gauss-Legendre nodes and weights on [-1, 1]: the n-point rule integrates polynomials of
 * degree up to 2n - 1 exactly. Newton's method on the Legendre polynomial P_n from the
 * asymptotic guess cos(pi (i + 3/4) / (n + 1/2)) (Press et al., Numerical Recipes, 3rd ed.,
 * section 4.6, `gauleg`); half the nodes are computed and mirrored, so the rule is exactly
 * symmetric. Nodes ascend.
 *
 * @example
 * const { x, w } = gaussLegendre(12); // sum_i w[i] * f(x[i]) ~ integral of f over [-1, 1]
 */
import { InternalError } from './errors.js';

export function gaussLegendre(n: number): { readonly x: Float64Array; readonly w: Float64Array } {
  if (!(Number.isInteger(n) && n >= 1)) throw new InternalError(`the number of nodes must be an integer >= 1, got ${n}`);
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
