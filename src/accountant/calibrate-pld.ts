import { PldAccountant, type AccountantName } from './accountant.js';
import { calibrateRdp } from './calibrate.js';
import { dpSgdEvent } from './events.js';
import type { PldOptions } from './pld/index.js';
import { checkDelta, checkEpsilon, checkSamplingRate, checkSteps } from './validate.js';
import { bisectDown } from './bisect.js';

/** Relative width in sigma at which the PLD bisection stops (each step costs a PLD composition). */
const SIGMA_REL_TOL = 1e-4;

/**
 * Smallest noise multiplier sigma (to 1e-4 relative) whose epsilon (nats, at delta) from the
 * PLD accountant is <= targetEpsilon, for `steps` steps at Poisson sampling rate q. Starts from
 * the RDP calibration (an upper end: the PLD accountant never reports more than RDP), then
 * bisects downwards on the PLD figure computed on one grid: the grid the automatic refinement
 * picks at the RDP sigma (or options.interval). The returned epsilon is the certified figure at
 * the returned sigma; `accountant` says which bound it is (RDP where the PLD cannot certify).
 * Throws InvalidArgumentError as calibrateRdp does. The PLD half of calibrateNoise (calibrate-noise.ts; use that).
 */
export function calibratePld(o: {
  targetEpsilon: number;
  samplingRate: number;
  steps: number;
  delta: number;
  pld?: PldOptions;
}): { noiseMultiplier: number; epsilon: number; accountant: AccountantName; interval?: number; note?: string } {
  checkEpsilon(o.targetEpsilon, 'target epsilon', true);
  checkSamplingRate(o.samplingRate);
  checkSteps(o.steps);
  checkDelta(o.delta);
  const rdp = calibrateRdp(o);
  if (o.samplingRate === 0 || o.steps === 0) return { noiseMultiplier: 0, epsilon: 0, accountant: 'pld' };
  const at = (sigma: number, options: PldOptions) =>
    new PldAccountant(options).compose(dpSgdEvent(o.samplingRate, sigma, o.steps)).epsilon(o.delta);
  const first = at(rdp.noiseMultiplier, o.pld ?? {});
  if (first.accountant !== 'pld' || first.interval === undefined) {
    return { noiseMultiplier: rdp.noiseMultiplier, epsilon: rdp.epsilon, accountant: 'rdp', ...(first.note ? { note: first.note } : {}) };
  }
  const grid: PldOptions = { ...o.pld, interval: first.interval };
  const eps = (s: number) => at(s, grid);
  let hi = rdp.noiseMultiplier;
  let best = first;
  // Bracket: eps(lo) > target >= eps(hi).
  let lo = hi * 0.8;
  for (let e = eps(lo); e.epsilon <= o.targetEpsilon; e = eps(lo)) {
    hi = lo;
    best = e;
    lo = hi * 0.8;
    if (lo < 1e-6) break;
  }
  ({ hi, atHi: best } = bisectDown(eps, (e) => e.epsilon, o.targetEpsilon, lo, hi, best, SIGMA_REL_TOL));
  return {
    noiseMultiplier: hi,
    epsilon: best.epsilon,
    accountant: best.accountant,
    ...(best.interval !== undefined ? { interval: best.interval } : {}),
    ...(best.note ? { note: best.note } : {}),
  };
}
