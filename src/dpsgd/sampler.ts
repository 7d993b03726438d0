import type { RandomSource } from '../util/random.js';
import { InvalidArgumentError } from '../util/errors.js';

/**
 * Poisson sampling (the sampling DP-SGD's analysis assumes): each of the n examples joins the
 * batch independently with probability q in [0, 1]. Returns the chosen indices in increasing
 * order; the batch may be empty. Uses geometric gaps between members,
 * P(gap >= k) = (1 - q)^k, so it costs O(q n) draws instead of n.
 */
export function poissonSample(n: number, q: number, random: RandomSource): Int32Array {
  if (!(q >= 0 && q <= 1)) throw new InvalidArgumentError(`sampling rate must be in [0, 1], got ${q}`);
  if (q === 0 || n === 0) return new Int32Array(0);
  if (q === 1) return Int32Array.from({ length: n }, (_, i) => i);
  const out: number[] = [];
  const logKeep = Math.log1p(-q);
  let i = -1;
  for (;;) {
    const u = random.uniform(); // [0, 1): log1p(-u) is finite
    i += Math.floor(Math.log1p(-u) / logKeep) + 1;
    if (i >= n) break;
    out.push(i);
  }
  return Int32Array.from(out);
}
