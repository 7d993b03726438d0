/**
 * The settings every DP-SGD trainer resolves the same way: delta, the noise multiplier sigma
 * (given, or calibrated for a target epsilon, also after a prior run's spending) and the epsilon
 * budget. Epsilon is in nats (e^epsilon) at the run's delta throughout.
 */
import { PrivacyLedger, calibrateNoiseMultiplier, calibrateNoiseMultiplierPld } from '../accountant/index.js';
import { bisectDown } from '../accountant/bisect.js';
import { InvalidArgumentError } from '../util/errors.js';

/** The accountant that calibrates a target epsilon and enforces the budget. */
export type BudgetAccountant = 'rdp' | 'pld';

/**
 * Default delta: 1/N rounded down to a power of ten, strictly below 1/N.
 *
 * ```ts
 * import { defaultDelta } from 'dp-canary/dpsgd';
 * defaultDelta(60000); // 1e-5: a power of ten strictly below 1/N
 * ```
 */
export function defaultDelta(n: number): number {
  // Decimal literals, so the result is exactly the double nearest 10^-k.
  const k = Math.ceil(Math.log10(n));
  const d = Number(`1e-${k}`);
  return d < 1 / n ? d : Number(`1e-${k + 1}`);
}

/** InvalidArgumentError unless v is undefined or a finite number > 0. */
export function checkPositive(v: number | undefined, what: string): void {
  if (v !== undefined && !(Number.isFinite(v) && v > 0)) throw new InvalidArgumentError(`${what} must be a positive number, got ${v}.`);
}

/**
 * The run's delta: the given one (in (0, 1)) or defaultDelta(N). A private run whose delta is not
 * below 1/N draws a warning: such a delta allows leaking whole examples.
 */
export function resolveDelta(delta: number | undefined, numExamples: number, isPrivate: boolean, warn: (m: string) => void): number {
  const d = delta ?? defaultDelta(numExamples);
  if (!(d > 0 && d < 1)) throw new InvalidArgumentError(`delta must be in (0, 1), got ${d}.`);
  if (isPrivate && d >= 1 / numExamples) warn(`delta ${d} is not below 1/N = ${1 / numExamples}; such a delta allows leaking whole examples.`);
  return d;
}

/** What {@link resolveNoise} needs: the noise as the caller gave it and the planned run. */
export interface NoiseRequest {
  /** sigma (> 0); give this or targetEpsilon. */
  readonly noiseMultiplier?: number;
  /** Epsilon (nats, > 0) the planned steps may spend: sigma is calibrated for it. */
  readonly targetEpsilon?: number;
  /** Never take a step that would bring epsilon above this (> 0); default targetEpsilon, else no budget. */
  readonly maxEpsilon?: number;
  /** Default 'rdp'. */
  readonly accountant?: BudgetAccountant;
  /** Spending that the run's ledger starts from (counts towards the target and the budget). */
  readonly priorLedger?: PrivacyLedger;
  /** Poisson sampling rate q in (0, 1]. */
  readonly samplingRate: number;
  /** Planned steps (>= 0). */
  readonly steps: number;
  readonly delta: number;
  /** How the caller's API names the two noise options, for the error messages. */
  readonly names?: { readonly multiplier: string; readonly target: string };
}

/** A private run's noise and budget. */
export interface ResolvedNoise {
  readonly noiseMultiplier: number;
  /** The budget (nats at the run's delta), or null for none. */
  readonly maxEpsilon: number | null;
  readonly targetEpsilon: number | null;
  readonly accountant: BudgetAccountant;
}

/**
 * Checks a private run's noise options (exactly one of sigma and a target; positive values; a
 * known accountant) and returns sigma: the given one, or the smallest that keeps the planned
 * steps (composed after the prior ledger, if any) within the target by the chosen accountant.
 */
export function resolveNoise(r: NoiseRequest): ResolvedNoise {
  const names = r.names ?? { multiplier: 'a noise multiplier', target: 'a target epsilon' };
  if ((r.noiseMultiplier === undefined) === (r.targetEpsilon === undefined)) {
    throw new InvalidArgumentError(`give either ${names.multiplier} or ${names.target} (exactly one).`);
  }
  checkPositive(r.noiseMultiplier, 'noise multiplier');
  checkPositive(r.targetEpsilon, 'target epsilon');
  checkPositive(r.maxEpsilon, 'maximum epsilon');
  const accountant = r.accountant ?? 'rdp';
  if (accountant !== 'rdp' && accountant !== 'pld') throw new InvalidArgumentError(`accountant must be rdp or pld, got '${String(accountant)}'.`);
  const prior = r.priorLedger && r.priorLedger.steps > 0 ? r.priorLedger : null;
  if (accountant === 'pld' && prior) {
    throw new InvalidArgumentError('the PLD accountant does not budget a run that continues a private starting run; use the RDP accountant.');
  }
  const { samplingRate, steps, delta } = r;
  const sigma: number =
    r.noiseMultiplier ??
    (accountant === 'pld'
      ? calibrateNoiseMultiplierPld({ targetEpsilon: r.targetEpsilon!, samplingRate, steps, delta }).noiseMultiplier
      : prior
        ? calibrateAfterPrior(prior, r.targetEpsilon!, samplingRate, steps, delta)
        : calibrateNoiseMultiplier({ targetEpsilon: r.targetEpsilon!, samplingRate, steps, delta }).noiseMultiplier);
  return { noiseMultiplier: sigma, maxEpsilon: r.maxEpsilon ?? r.targetEpsilon ?? null, targetEpsilon: r.targetEpsilon ?? null, accountant };
}

/**
 * Smallest sigma (to 1e-6 relative) such that the prior ledger composed with `steps` steps at
 * (q, sigma) spends at most targetEpsilon at delta. Bisection on the ledger itself, so the
 * answer is exactly what the run will report.
 */
export function calibrateAfterPrior(prior: PrivacyLedger, targetEpsilon: number, q: number, steps: number, delta: number): number {
  const spent = prior.epsilon(delta).epsilon;
  if (!(spent < targetEpsilon)) {
    throw new InvalidArgumentError(
      `the starting run already spent epsilon ${spent.toFixed(3)} at delta ${delta}: nothing is left of a target of ${targetEpsilon}.`,
    );
  }
  if (steps === 0) return calibrateNoiseMultiplier({ targetEpsilon, samplingRate: q, steps, delta }).noiseMultiplier;
  const eps = (sigma: number): number => prior.compose({ samplingRate: q, noiseMultiplier: sigma, count: steps }).epsilon(delta).epsilon;
  // Without the prior this sigma would just reach the target, so with it more noise is needed.
  let lo = calibrateNoiseMultiplier({ targetEpsilon, samplingRate: q, steps, delta }).noiseMultiplier;
  let hi = lo * 1.5;
  let epsHi: number;
  while ((epsHi = eps(hi)) > targetEpsilon) {
    lo = hi;
    hi *= 2;
    if (hi > 1e6) throw new InvalidArgumentError(`no noise multiplier reaches epsilon ${targetEpsilon} after the starting run's spending.`);
  }
  return bisectDown(eps, (e) => e, targetEpsilon, lo, hi, epsHi, 1e-6).hi;
}
