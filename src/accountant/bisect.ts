/**
 * The smallest sigma of a bracket at which a figure that falls as sigma grows (epsilon against
 * the noise multiplier) is at most `target`, by bisection: given figure(lo) > target >=
 * figure(hi), halve the bracket until its width is at most relTol * hi and return hi (always
 * on the safe side) with what `evaluate` gave there. Every calibration shares it: RDP, PLD, and
 * a run continuing a private starting run.
 *
 * @example
 * const { hi } = bisectDown((s) => epsilonAt(s), (e) => e, 8, 0.5, 4, epsilonAt(4), 1e-7);
 */
export function bisectDown<T>(
  evaluate: (sigma: number) => T,
  figure: (t: T) => number,
  target: number,
  lo: number,
  hi: number,
  atHi: T,
  relTol: number,
): { hi: number; atHi: T } {
  while (hi - lo > relTol * hi) {
    const mid = 0.5 * (lo + hi);
    const e = evaluate(mid);
    if (figure(e) <= target) {
      hi = mid;
      atHi = e;
    } else lo = mid;
  }
  return { hi, atHi };
}

/**
 * The largest integer n in [lo, limit] with fits(n), for a `fits` that holds up to some count
 * and fails beyond it (steps against a budget); fits(lo) must hold. With a finite limit that
 * fits, the limit; else doubling from lo brackets the answer and bisection finds it. Infinity
 * when no limit is given and fits holds up to 2^53. Every step-count search shares it.
 *
 * @example
 * largestFitting((n) => n * n <= 50, 0); // 7
 */
export function largestFitting(fits: (n: number) => boolean, lo: number, limit = Infinity): number {
  let hi: number;
  if (limit !== Infinity) {
    if (fits(limit)) return limit;
    hi = limit;
  } else {
    hi = Math.max(1, lo * 2);
    while (fits(hi)) {
      lo = hi;
      hi *= 2;
      if (hi > Number.MAX_SAFE_INTEGER) return Infinity;
    }
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}
