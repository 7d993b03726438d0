/**
 * Calibration for every target in one place: the noise multiplier sigma for an epsilon target
 * ({@link calibrateNoise}) and the most steps within a budget ({@link maxStepsForBudget}), by
 * either accountant, optionally after a prior ledger's spending (fine-tuning a privately
 * trained model). Every search over sigma ends in the one bisection, bisect.ts.
 */
import { InvalidArgumentError } from '../util/errors.js';
import { isAccountantName, type AccountantName } from './accountant.js';
import { bisectDown, largestFitting } from './bisect.js';
import { calibrateRdp, maxStepsRdp } from './calibrate.js';
import { calibratePld } from './calibrate-pld.js';
import { ledgerEpsilon, PrivacyLedger } from './ledger.js';
import type { PldOptions } from './pld/index.js';
import { checkDelta, checkEpsilon, checkNoiseMultiplier, checkSamplingRate, checkSteps } from './validate.js';

/** What {@link calibrateNoise} calibrates for. */
export interface NoiseTarget {
  /** 'rdp' (default; to 1e-7 relative in sigma) or 'pld' (tighter, so less noise; to 1e-4). */
  readonly accountant?: AccountantName;
  /** epsilon (nats, > 0) the steps (after the prior, if any) may spend in all. */
  readonly targetEpsilon: number;
  /** Poisson sampling rate q in [0, 1]. */
  readonly samplingRate: number;
  /** Steps (integer >= 0) of DP-SGD at (q, sigma). */
  readonly steps: number;
  /** delta in (0, 1). */
  readonly delta: number;
  /** Spending the steps come after: sigma keeps prior + steps within the target. */
  readonly prior?: PrivacyLedger;
  /** RDP orders (RDP without a prior only; default DEFAULT_ORDERS). */
  readonly orders?: readonly number[];
  /** PLD grid options (PLD only). */
  readonly pld?: PldOptions;
}

/** A calibrated sigma and the certified epsilon (nats) at it. */
export interface NoiseCalibration {
  readonly noiseMultiplier: number;
  /** epsilon at the returned sigma (with the prior), <= targetEpsilon. */
  readonly epsilon: number;
  /** Which bound `epsilon` is ('rdp' also where the PLD accountant fell back to it). */
  readonly accountant: AccountantName;
  /** PLD grid spacing (nats), PLD figures only. */
  readonly interval?: number;
  readonly note?: string;
}

function checkAccountant(name: unknown): AccountantName {
  if (!isAccountantName(name)) throw new InvalidArgumentError(`accountant must be rdp or pld, got ${JSON.stringify(name)}`);
  return name;
}

/** The prior ledger when it holds any spending, else null. */
function spendingOf(prior: PrivacyLedger | undefined): PrivacyLedger | null {
  return prior && (prior.steps > 0 || prior.nonPrivate) ? prior : null;
}

/**
 * Smallest noise multiplier sigma whose epsilon (nats, at delta, by the chosen accountant) for
 * `steps` DP-SGD steps at sampling rate q, composed after `prior` when given, is at most
 * targetEpsilon. The returned sigma always satisfies the target; with q = 0 or steps = 0 it is
 * 0. Throws InvalidArgumentError for invalid arguments, a prior that already spent the target,
 * or a target no sigma up to 1e6 reaches.
 *
 * ```ts
 * import { calibrateNoise } from 'dp-canary/accountant';
 * // The smallest sigma for which 14,063 steps at q = 256 / 60000 spend at most epsilon 3 (RDP):
 * calibrateNoise({ targetEpsilon: 3, samplingRate: 256 / 60000, steps: 14063, delta: 1e-5 }).noiseMultiplier; // 1.014
 * // The PLD accountant certifies the same target with less noise:
 * calibrateNoise({ accountant: 'pld', targetEpsilon: 3, samplingRate: 256 / 60000, steps: 14063, delta: 1e-5 }).noiseMultiplier;
 * ```
 */
export function calibrateNoise(o: NoiseTarget): NoiseCalibration {
  const accountant = checkAccountant(o.accountant ?? 'rdp');
  checkEpsilon(o.targetEpsilon, 'target epsilon', true);
  checkSamplingRate(o.samplingRate);
  checkSteps(o.steps);
  checkDelta(o.delta);
  const prior = spendingOf(o.prior);
  if (!prior) {
    if (accountant === 'pld') return calibratePld({ ...o, ...(o.pld ? { pld: o.pld } : {}) });
    return { ...calibrateRdp(o), accountant: 'rdp' };
  }
  const { targetEpsilon: target, samplingRate: q, steps, delta } = o;
  const spent = ledgerEpsilon(prior, delta, accountant, o.pld).epsilon;
  if (!(spent < target)) {
    throw new InvalidArgumentError(`the starting run already spent epsilon ${spent.toFixed(3)} at delta ${delta}: nothing is left of a target of ${target}.`);
  }
  const alone = calibrateNoise({ accountant, targetEpsilon: target, samplingRate: q, steps, delta, ...(o.pld ? { pld: o.pld } : {}) });
  if (steps === 0 || q === 0) return { ...alone, epsilon: spent };
  const at = (sigma: number) => ledgerEpsilon(prior.compose({ samplingRate: q, noiseMultiplier: sigma, count: steps }), delta, accountant, o.pld);
  // Without the prior `alone` would just reach the target, so with it more noise is needed.
  let lo = alone.noiseMultiplier;
  let hi = lo * 1.5;
  let atHi = at(hi);
  while (atHi.epsilon > target) {
    lo = hi;
    hi *= 2;
    if (hi > 1e6) throw new InvalidArgumentError(`no noise multiplier reaches epsilon ${target} after the starting run's spending.`);
    atHi = at(hi);
  }
  const r = bisectDown(at, (e) => e.epsilon, target, lo, hi, atHi, accountant === 'pld' ? 1e-4 : 1e-6);
  return {
    noiseMultiplier: r.hi,
    epsilon: r.atHi.epsilon,
    accountant: r.atHi.accountant,
    ...(r.atHi.interval !== undefined ? { interval: r.atHi.interval } : {}),
    ...(r.atHi.note ? { note: r.atHi.note } : {}),
  };
}

/** What {@link maxStepsForBudget} counts steps for. */
export interface StepsBudget {
  /** Default 'rdp'. */
  readonly accountant?: AccountantName;
  /** epsilon (nats, >= 0) that prior + steps may spend in all. */
  readonly targetEpsilon: number;
  readonly samplingRate: number;
  readonly noiseMultiplier: number;
  readonly delta: number;
  /** Spending before the steps. */
  readonly prior?: PrivacyLedger;
  /** No answer above this many steps (integer >= 0); default none. */
  readonly limit?: number;
  /** RDP orders (RDP without a prior only). */
  readonly orders?: readonly number[];
  readonly pld?: PldOptions;
}

/**
 * Largest number of steps T (at most `limit`) such that T DP-SGD steps at (q, sigma), after
 * `prior` when given, keep epsilon (nats, at delta, by the chosen accountant) <= targetEpsilon.
 * 0 if even one step (or the prior alone) exceeds it; Infinity (or `limit`) if no number of steps
 * does (q = 0). A step count the PLD cannot certify counts only through its RDP fallback, which
 * is larger: never over budget. Throws InvalidArgumentError on invalid arguments.
 *
 * ```ts
 * import { maxStepsForBudget } from 'dp-canary/accountant';
 * maxStepsForBudget({ targetEpsilon: 3, samplingRate: 0.01, noiseMultiplier: 1.1, delta: 1e-5 }); // T: T steps fit, T + 1 do not
 * ```
 */
export function maxStepsForBudget(o: StepsBudget): number {
  const accountant = checkAccountant(o.accountant ?? 'rdp');
  checkEpsilon(o.targetEpsilon, 'target epsilon');
  checkSamplingRate(o.samplingRate);
  checkNoiseMultiplier(o.noiseMultiplier);
  checkDelta(o.delta);
  const limit = o.limit ?? Infinity;
  if (limit !== Infinity) checkSteps(limit, 'step limit');
  const prior = spendingOf(o.prior);
  if (accountant === 'rdp' && !prior) return Math.min(limit, maxStepsRdp(o));
  const base = prior ?? PrivacyLedger.empty();
  const eps = (count: number): number =>
    count === 0 && !prior
      ? 0
      : ledgerEpsilon(count === 0 ? base : base.compose({ samplingRate: o.samplingRate, noiseMultiplier: o.noiseMultiplier, count }), o.delta, accountant, o.pld).epsilon;
  if (eps(0) > o.targetEpsilon) return 0;
  if (o.samplingRate === 0) return limit;
  return largestFitting((n) => eps(n) <= o.targetEpsilon, 0, limit);
}
