import { describe, expect, it } from 'vitest';
import { InternalError } from '../../src/util/errors.js';
import { gaussLegendre } from '../../src/util/gauss-legendre.js';

describe('Gauss-Legendre nodes', () => {
  it('integrate every monomial of degree <= 2n - 1 over [-1, 1] exactly (closed form), and not degree 2n', () => {
    for (const n of [1, 2, 5, 12, 20]) {
      const { x, w } = gaussLegendre(n);
      for (let i = 1; i < n; i++) expect(x[i]!).toBeGreaterThan(x[i - 1]!);
      for (let i = 0; i < n; i++) {
        expect(x[i]! + x[n - 1 - i]!).toBe(0);
        expect(w[i]).toBe(w[n - 1 - i]);
      }
      const quad = (k: number): number => x.reduce((s, xi, i) => s + w[i]! * xi ** k, 0);
      // integral of x^k over [-1, 1]: 2/(k+1) for even k, 0 for odd k.
      for (let k = 0; k <= 2 * n - 1; k++) expect(quad(k)).toBeCloseTo(k % 2 === 0 ? 2 / (k + 1) : 0, 13);
      expect(Math.abs(quad(2 * n) - 2 / (2 * n + 1))).toBeGreaterThan(1e-12);
    }
    expect(() => gaussLegendre(0)).toThrow(InternalError);
  });
});
