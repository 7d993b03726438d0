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
