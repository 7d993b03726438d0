/**
 * The DP-SGD step loop every trainer runs (the language-model trainer and fitPrivately): per step, check the budget (stop rather than exceed it)
 * -> journal the step (secure private runs) -> Poisson-sample the batch -> the model's own step
 * (gradient, clipping and noise or a plain gradient, optimizer update) -> charge the ledger ->
 * checkpoint -> report. What differs between models is passed in as callbacks; the sampling
 * stream (`root.fork("step-t/sample")`), the ledger and the budget rule live here only.
 */
import { ledgerEpsilon, PrivacyLedger, type SampledGaussianEvent } from '../accountant/index.js';
import { InvalidArgumentError } from '../util/errors.js';
import type { RandomSource } from '../util/random.js';
import { readJournal, writeJournal } from './checkpoint.js';
import type { StepBudget } from './run-plan.js';
import { poissonSample } from './sampler.js';

function overBudget(budget: StepBudget | null, ledger: PrivacyLedger, rdpEpsilon: number): boolean {
  if (budget === null) return false;
  return budget.kind === 'steps' ? ledger.steps > budget.maxSteps : rdpEpsilon > budget.maxEpsilon;
}

/** A private run's accounting, as the loop starts it. */
export interface StepLoopPrivacy {
  /** One step's event (count 1): sampling rate q and noise multiplier sigma. */
  readonly event: SampledGaussianEvent;
  readonly delta: number;
  /** The ledger before the first step of this call (a prior run's, or one restored from a checkpoint). */
  readonly ledger: PrivacyLedger;
  readonly budget: StepBudget | null;
}

/** What the loop tells the callbacks after a step. */
export interface StepDone {
  /** Steps completed so far (1-based count). */
  readonly step: number;
  readonly ledger: PrivacyLedger | null;
  /** RDP epsilon spent so far at the run's delta (Infinity without privacy). */
  readonly epsilon: number;
  /** Examples in the step's Poisson batch. */
  readonly batchSize: number;
  /** Wall time of the step from sampling through checkpointing, seconds. */
  readonly seconds: number;
}

export interface StepLoopOptions<R> {
  /** N: examples in the population the batches are drawn from (the privacy unit is one). */
  readonly numExamples: number;
  /** Poisson sampling rate q in (0, 1]. */
  readonly samplingRate: number;
  /** Steps the run ends after (counting steps before a resume). */
  readonly totalSteps: number;
  /** Steps already taken (from a checkpoint); default 0. */
  readonly startStep?: number;
  /** The run's root random source: batch t is drawn from root.fork(`step-${t}/sample`). */
  readonly random: RandomSource;
  /** null: a non-private run (no ledger, no budget, epsilon Infinity). */
  readonly privacy: StepLoopPrivacy | null;
  /**
   * The checkpoint file of the run. A secure private run journals each step there before taking
   * it, so a resume charges steps that ran after the last checkpoint (see resumeLedger).
   */
  readonly journalPath?: string | null;
  /** Checkpoint after every `checkpointEvery` steps (>= 1) and at the last step. */
  readonly checkpointEvery?: number;
  /**
   * The model's step for 0-based step t and its sampled (ascending) indices: the clipped and
   * noised (or plain) gradient and the optimizer update. Its result goes to `report`.
   */
  takeStep(t: number, indices: Int32Array): Promise<R> | R;
  /** Write a checkpoint holding `done.step` steps and `done.ledger`; also called when the budget stops the run. */
  checkpoint?(done: Pick<StepDone, 'step' | 'ledger'>): void | Promise<void>;
  /** Progress, after the step's checkpoint. */
  report?(result: R, done: StepDone): void | Promise<void>;
}

export interface StepLoopResult {
  /** Steps whose updates are in the model (including those before a resume). */
  readonly steps: number;
  readonly ledger: PrivacyLedger | null;
  /** RDP epsilon of the ledger at the run's delta (Infinity without privacy). */
  readonly epsilon: number;
  /** 'completed', or 'epsilon-budget' when the next step would have exceeded the budget. */
  readonly stopReason: 'completed' | 'epsilon-budget';
}

/**
 * Runs steps startStep..totalSteps-1: budget check (on the ledger with the step composed in) ->
 * journal -> Poisson sample -> takeStep -> ledger update -> checkpoint (every checkpointEvery
 * steps and at the end) -> report. A run the budget stops writes a checkpoint before it returns.
 */
export async function runStepLoop<R>(o: StepLoopOptions<R>): Promise<StepLoopResult> {
  const p = o.privacy;
  const every = o.checkpointEvery ?? 1;
  let step = o.startStep ?? 0;
  let ledger = p ? p.ledger : null;
  let epsilon = p ? ledgerEpsilon(p.ledger, p.delta).epsilon : Infinity;
  let stopReason: StepLoopResult['stopReason'] = 'completed';
  if (p && overBudget(p.budget, p.ledger, epsilon)) stopReason = 'epsilon-budget';
  while (stopReason === 'completed' && step < o.totalSteps) {
    let next: PrivacyLedger | null = null;
    let nextEpsilon = Infinity;
    if (p && ledger) {
      next = ledger.compose(p.event);
      nextEpsilon = ledgerEpsilon(next, p.delta).epsilon;
      if (overBudget(p.budget, next, nextEpsilon)) {
        stopReason = 'epsilon-budget';
        break;
      }
    }
    if (o.journalPath && o.random.kind === 'secure' && p) writeJournal(o.journalPath, step + 1);
    const t0 = performance.now();
    const indices = poissonSample(o.numExamples, o.samplingRate, o.random.fork(`step-${step}/sample`));
    const result = await o.takeStep(step, indices);
    step += 1;
    if (next) {
      ledger = next;
      epsilon = nextEpsilon;
    }
    if (step % every === 0 || step === o.totalSteps) await o.checkpoint?.({ step, ledger });
    const seconds = (performance.now() - t0) / 1000;
    await o.report?.(result, { step, ledger, epsilon, batchSize: indices.length, seconds });
  }
  if (stopReason !== 'completed') await o.checkpoint?.({ step, ledger });
  return { steps: step, ledger, epsilon, stopReason };
}

/**
 * A private run's ledger when it resumes from a checkpoint: the checkpoint's ledger (its JSON,
 * checked by PrivacyLedger.fromJSON), plus, for a
 * secure run (which cannot replay lost steps), every step its journal says started after the
 * checkpoint, with a warning. A seeded run replays those steps exactly, so it charges nothing extra.
 */
export function resumeLedger(
  json: unknown,
  o: { random: RandomSource; checkpointPath: string; event: SampledGaussianEvent; step: number; warn: (m: string) => void },
): PrivacyLedger {
  if (json === null) throw new InvalidArgumentError(`cannot resume ${o.checkpointPath}: it holds no privacy ledger (a non-private run).`);
  let ledger = PrivacyLedger.fromJSON(json);
  const started = o.random.kind === 'secure' ? readJournal(o.checkpointPath) : null;
  if (started !== null && started > o.step) {
    ledger = ledger.compose({ ...o.event, count: started - o.step }, `${started - o.step} step(s) that ran after the last checkpoint (charged on resume)`);
    o.warn(`resuming after ${started - o.step} step(s) that ran but were not checkpointed; they are charged to the privacy ledger.`);
  }
  return ledger;
}

/** The first of `keys` whose value differs between a checkpoint's settings and this run's, or null. */
export function settingsDiff<S extends object>(saved: S, current: S, keys: readonly (keyof S)[]): keyof S | null {
  return keys.find((k) => saved[k] !== current[k]) ?? null;
}

/** The warning every seeded private run gives. */
export function warnIfSeeded(random: RandomSource, isPrivate: boolean, warn: (m: string) => void): void {
  if (random.kind === 'seeded' && isPrivate)
    warn('seeded randomness: reproducible, but NOT a real privacy guarantee; omit the seed for secure noise.');
}
