/**
 * The run plan every DP-SGD trainer resolves the same way, once, before its first step: the
 * sampling rate q, the steps (in all and per epoch), delta, the noise multiplier sigma (given,
 * or calibrated for a target epsilon, also after a prior ledger's spending) and the budget.
 * Epsilon is in nats (e^epsilon) at the run's delta throughout.
 */
import { calibrateNoise, maxStepsForBudget, type AccountantName, type PrivacyLedger } from '../accountant/index.js';
import { InvalidArgumentError } from '../util/errors.js';

/** The accountant that calibrates a target epsilon and enforces the budget. */
export type BudgetAccountant = AccountantName;

/**
 * The settings fixed at the start of a run, as its checkpoint records them (a resume must use the
 * same): who is sampled at which rate, for how long, with what noise and budget.
 */
export interface RunPlan {
  readonly private: boolean;
  /** N: the sampling population (examples, or units with windowsPerStep). */
  readonly numExamples: number;
  readonly samplingRate: number;
  readonly noiseMultiplier: number;
  /** Per-example clip norm C (Infinity for a non-private run). */
  readonly clipNorm: number;
  readonly delta: number;
  readonly totalSteps: number;
  readonly maxEpsilon: number | null;
  /** The accountant that calibrated and budgets the run (absent in older checkpoints: 'rdp'). */
  readonly accountant?: AccountantName;
  /** Runs over privacy units: most windows of a unit per step (numExamples then counts units). Absent: one window per unit. */
  readonly windowsPerStep?: number;
}

/**
 * When to stop: 'epsilon' stops before a step whose ledger's RDP epsilon (nats, at the run's
 * delta) would exceed maxEpsilon; 'steps' stops before the ledger would hold more than maxSteps
 * steps (the PLD budget, whose step count is found once because PLD is too slow to evaluate
 * every step).
 */
export type StepBudget = { readonly kind: 'epsilon'; readonly maxEpsilon: number } | { readonly kind: 'steps'; readonly maxSteps: number };

/** A resolved plan and what the run derives from it (not recorded in checkpoints). */
export interface ResolvedRun {
  readonly plan: RunPlan;
  /** ceil(1 / q): the steps of one epoch. */
  readonly stepsPerEpoch: number;
  readonly targetEpsilon: number | null;
  /** null: no budget (or a non-private run). */
  readonly budget: StepBudget | null;
}

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

/**
 * A run's length at sampling rate q in (0, 1]: steps per epoch ceil(1 / q), and the total, given
 * as steps (an integer >= 0) or epochs (> 0; ceil(epochs / q) steps; default 1 epoch).
 */
export function runLength(q: number, length: { readonly steps?: number; readonly epochs?: number } = {}): { stepsPerEpoch: number; totalSteps: number } {
  if (length.steps !== undefined && length.epochs !== undefined) throw new InvalidArgumentError('give either steps or epochs, not both.');
  if (length.steps !== undefined && !(Number.isInteger(length.steps) && length.steps >= 0)) throw new InvalidArgumentError(`steps must be a non-negative integer, got ${length.steps}.`);
  checkPositive(length.epochs, 'epochs');
  return { stepsPerEpoch: Math.ceil(1 / q), totalSteps: length.steps ?? Math.ceil((length.epochs ?? 1) / q) };
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
  readonly budget: StepBudget | null;
}

/**
 * Checks a private run's noise options (exactly one of sigma and a target; positive values; a
 * known accountant) and returns sigma (the given one, or the smallest that keeps the planned
 * steps, composed after the prior ledger if any, within the target: calibrateNoise) and the
 * budget rule: none without maxEpsilon; RDP's epsilon of the next ledger; or, with the PLD
 * accountant, the most steps (the prior's included) whose PLD epsilon stays within maxEpsilon.
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
  const { samplingRate, steps, delta } = r;
  const prior = r.priorLedger;
  const sigma =
    r.noiseMultiplier ??
    calibrateNoise({ accountant, targetEpsilon: r.targetEpsilon!, samplingRate, steps, delta, ...(prior ? { prior } : {}) }).noiseMultiplier;
  const maxEpsilon = r.maxEpsilon ?? r.targetEpsilon ?? null;
  let budget: StepBudget | null = null;
  if (maxEpsilon !== null) {
    budget =
      accountant === 'pld'
        ? {
            kind: 'steps',
            maxSteps: (prior?.steps ?? 0) + maxStepsForBudget({ accountant, targetEpsilon: maxEpsilon, samplingRate, noiseMultiplier: sigma, delta, limit: steps, ...(prior ? { prior } : {}) }),
          }
        : { kind: 'epsilon', maxEpsilon };
  }
  return { noiseMultiplier: sigma, maxEpsilon, targetEpsilon: r.targetEpsilon ?? null, accountant, budget };
}

/** What {@link resolveRunPlan} resolves: the options of any trainer, in one shape. */
export interface RunRequest {
  readonly private: boolean;
  /** N (>= 1): examples, or units. */
  readonly population: number;
  /** How messages call the population ('examples', 'units'). */
  readonly populationName: string;
  /** Poisson rate q, or the expected batch size (q = batchSize / N): exactly one. */
  readonly sampling: { readonly rate?: number; readonly batchSize?: number };
  readonly length?: { readonly steps?: number; readonly epochs?: number };
  readonly delta?: number;
  /** Private runs: C (> 0). */
  readonly clipNorm?: number;
  /** Private runs: sigma or a target, the budget, the accountant and a prior ledger. */
  readonly noise?: Omit<NoiseRequest, 'samplingRate' | 'steps' | 'delta'>;
  readonly windowsPerStep?: number;
  /** How the caller's API names the clip norm, for the error message. */
  readonly clipName?: string;
  readonly warn: (m: string) => void;
}

/**
 * Resolves a trainer's options into its run plan, once: q (in (0, 1]), the length (runLength),
 * delta (resolveDelta), and for a private run C, sigma and the budget (resolveNoise).
 * InvalidArgumentError on contradictions and out-of-range values, also for JavaScript callers.
 */
export function resolveRunPlan(r: RunRequest): ResolvedRun {
  const N = r.population;
  const sampling = r.sampling;
  if (sampling.rate !== undefined && sampling.batchSize !== undefined) throw new InvalidArgumentError('give either a sampling rate or a batch size, not both.');
  if (sampling.rate === undefined && sampling.batchSize === undefined) throw new InvalidArgumentError('give a sampling rate or a batch size.');
  checkPositive(sampling.batchSize, 'batch size');
  const q = sampling.rate ?? sampling.batchSize! / N;
  if (!(q > 0 && q <= 1)) {
    const why = sampling.batchSize !== undefined ? `batch size ${sampling.batchSize} must be at most the ${N} ${r.populationName}` : `sampling rate must be in (0, 1], got ${q}`;
    throw new InvalidArgumentError(`${why}.`);
  }
  const { stepsPerEpoch, totalSteps } = runLength(q, r.length);
  const delta = resolveDelta(r.delta, N, r.private, r.warn);
  const units = r.windowsPerStep !== undefined ? { windowsPerStep: r.windowsPerStep } : {};
  if (!r.private) {
    const plan: RunPlan = { private: false, numExamples: N, samplingRate: q, noiseMultiplier: 0, clipNorm: Infinity, delta, totalSteps, maxEpsilon: null, ...units };
    return { plan, stepsPerEpoch, targetEpsilon: null, budget: null };
  }
  if (r.clipNorm === undefined) throw new InvalidArgumentError(`a private run needs ${r.clipName ?? 'a clip norm'}.`);
  checkPositive(r.clipNorm, 'clip norm');
  const noise = resolveNoise({ ...r.noise, samplingRate: q, steps: totalSteps, delta });
  const plan: RunPlan = {
    private: true, numExamples: N, samplingRate: q, noiseMultiplier: noise.noiseMultiplier, clipNorm: r.clipNorm, delta, totalSteps, maxEpsilon: noise.maxEpsilon,
    ...(noise.accountant === 'pld' ? { accountant: 'pld' as const } : {}),
    ...units,
  };
  return { plan, stepsPerEpoch, targetEpsilon: noise.targetEpsilon, budget: noise.budget };
}
