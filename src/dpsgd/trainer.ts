import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { PrivacyLedger, calibrateNoiseMultiplier, calibrateNoiseMultiplierPld, type SampledGaussianEvent } from '../accountant/index.js';
import { UserError } from '../util/errors.js';
import { restoreSeededRandom, secureRandom, seededRandom, type RandomSource } from '../util/random.js';
import { loadCheckpoint, readJournal, saveCheckpoint, writeJournal, type CheckpointJson, type RunSettings } from './checkpoint.js';
import type { NormMethod } from './clipping.js';
import type { StepGradient } from './gradient.js';
import { localEngine, type GradientEngine } from './gradient-engine.js';
import { ParallelSession } from './parallel/session.js';
import { LanguageModel, validateConfig, type LanguageModelConfig } from './model.js';
import { modelFromJson, modelToJson } from './model-io.js';
import { Optimizer, type OptimizerConfig } from './optimizers.js';
import { poissonSample } from './sampler.js';
import { evaluate, type Evaluation } from './evaluate.js';

/** What the per-step callback receives (for a progress bar). */
export interface StepReport {
  /** Steps completed so far (1-based count). */
  readonly step: number;
  readonly totalSteps: number;
  /** Mean cross-entropy per token of this step's batch, nats (NaN for an empty batch). */
  readonly loss: number;
  readonly batchSize: number;
  /** Predicted tokens in this step's batch (0 for an empty batch). */
  readonly tokens: number;
  /** Epsilon spent so far at the run's delta (Infinity for non-private runs). */
  readonly epsilon: number;
  readonly examplesPerSecond: number;
}

export interface TrainOptions {
  /** A model to train in place, or a config for a fresh one (initialised from the run's random source). */
  readonly model: LanguageModel | LanguageModelConfig;
  /** Training examples: windows of seqLen+1 token ids (makeWindows). One window = the privacy unit. */
  readonly examples: readonly (Int32Array | readonly number[])[];
  /** false: plain minibatch training (no clipping, no noise, no ledger), the baseline. Default true. */
  readonly private?: boolean;
  /** sigma; give this or targetEpsilon (private runs). */
  readonly noiseMultiplier?: number;
  /** Calibrate sigma so that the planned steps spend this epsilon (and stop there). */
  readonly targetEpsilon?: number;
  /** Per-example L2 clip norm C of the summed-over-tokens loss gradient (private runs). */
  readonly clipNorm?: number;
  /** Poisson sampling rate q in (0, 1]; or give batchSize (q = batchSize / N). */
  readonly samplingRate?: number;
  readonly batchSize?: number;
  /**
   * Largest number of examples in one forward/backward pass (default: no limit). A larger
   * logical batch is processed in chunks whose clipped sums add up; noise is added once per
   * logical step and the ledger charged once, so privacy does not depend on this, only memory.
   */
  readonly physicalBatchSize?: number;
  /** Number of steps; or epochs (steps = ceil(epochs / q)). Default: 1 epoch. */
  readonly steps?: number;
  readonly epochs?: number;
  /** delta; default 1/N rounded down to a power of 10 (strictly below 1/N). */
  readonly delta?: number;
  /**
   * Privacy already spent on data this run's data may overlap with (for example the ledger of a
   * private run this one starts from): composed into the ledger before the first step, so the
   * run's epsilon, its budget and the calibration for targetEpsilon all count it.
   */
  readonly priorLedger?: PrivacyLedger;
  /**
   * The accountant that calibrates targetEpsilon and enforces maxEpsilon: 'rdp' (default) or
   * 'pld' (the privacy loss distribution accountant: tighter, so less noise for the same target).
   * Either way the per-step epsilon in StepReport and TrainResult is RDP's, an upper bound.
   */
  readonly accountant?: 'rdp' | 'pld';
  /** Never take a step that would bring epsilon above this (checked before each step). Defaults to targetEpsilon. */
  readonly maxEpsilon?: number;
  readonly optimizer: OptimizerConfig;
  /** Seed for reproducible runs (NOT for real privacy); default: node:crypto noise and sampling. */
  readonly seed?: string | number;
  readonly normMethod?: NormMethod | 'reference';
  readonly onStep?: (r: StepReport) => void | Promise<void>;
  /**
   * Worker threads that compute each step's gradient (data-parallel DP-SGD, see
   * parallel/pool.ts); default 1, this thread. Sampling, noise and the ledger stay in this
   * thread, so results differ from one thread only in floating-point summation order.
   */
  readonly threads?: number;
  /** A gradient engine to use instead (for example a DataParallelPool the caller keeps open); overrides threads. */
  readonly engine?: GradientEngine;
  /** Checkpoint file, written atomically every `checkpointEvery` steps (default 1) and at the end. */
  readonly checkpointPath?: string;
  readonly checkpointEvery?: number;
  /** Continue from checkpointPath when it exists. */
  readonly resume?: boolean;
  /** Validation windows, evaluated at the end. */
  readonly validation?: readonly (Int32Array | readonly number[])[];
  readonly warn?: (message: string) => void;
}

export interface TrainResult {
  readonly model: LanguageModel;
  readonly optimizer: Optimizer;
  /** The privacy ledger (null for non-private runs). */
  readonly ledger: PrivacyLedger | null;
  /** Steps whose updates are in the model. */
  readonly steps: number;
  /** Epsilon spent at `delta` (Infinity for non-private runs), nats-based (e^epsilon). */
  readonly epsilon: number;
  readonly delta: number;
  readonly noiseMultiplier: number;
  readonly samplingRate: number;
  readonly clipNorm: number;
  /** Which kind of randomness drew noise and batches. */
  readonly randomKind: 'seeded' | 'secure';
  /** 'completed', or 'epsilon-budget' when the next step would have exceeded maxEpsilon. */
  readonly stopReason: 'completed' | 'epsilon-budget';
  readonly validation: Evaluation | null;
  readonly settings: RunSettings;
}

/** Default delta: 1/N rounded down to a power of ten, strictly below 1/N. */
export function defaultDelta(n: number): number {
  // Decimal literals, so the result is exactly the double nearest 10^-k.
  const k = Math.ceil(Math.log10(n));
  const d = Number(`1e-${k}`);
  return d < 1 / n ? d : Number(`1e-${k + 1}`);
}

function positive(v: number | undefined, what: string): void {
  if (v !== undefined && !(Number.isFinite(v) && v > 0)) throw new UserError(`${what} must be a positive number, got ${v}.`);
}

/** Resolve and check the run's settings (UserError on contradictions). */
export function resolveSettings(o: TrainOptions, warn: (m: string) => void): RunSettings & { targetEpsilon: number | null } {
  const isPrivate = o.private ?? true;
  const N = o.examples.length;
  if (N === 0) throw new UserError('there are no training examples.');
  if (o.samplingRate !== undefined && o.batchSize !== undefined) throw new UserError('give either a sampling rate or a batch size, not both.');
  if (o.samplingRate === undefined && o.batchSize === undefined) throw new UserError('give a sampling rate or a batch size.');
  positive(o.batchSize, 'batch size');
  const q = o.samplingRate ?? o.batchSize! / N;
  if (!(q > 0 && q <= 1)) throw new UserError(`sampling rate must be in (0, 1], got ${q} (batch size may exceed the ${N} examples).`);
  if (o.steps !== undefined && o.epochs !== undefined) throw new UserError('give either steps or epochs, not both.');
  if (o.steps !== undefined && !(Number.isInteger(o.steps) && o.steps >= 0)) throw new UserError(`steps must be a non-negative integer, got ${o.steps}.`);
  positive(o.epochs, 'epochs');
  const totalSteps = o.steps ?? Math.ceil((o.epochs ?? 1) / q);
  const delta = o.delta ?? defaultDelta(N);
  if (!(delta > 0 && delta < 1)) throw new UserError(`delta must be in (0, 1), got ${delta}.`);
  if (isPrivate && delta >= 1 / N) warn(`delta ${delta} is not below 1/N = ${1 / N}; such a delta allows leaking whole examples.`);
  if (!isPrivate) {
    if (o.noiseMultiplier !== undefined || o.targetEpsilon !== undefined || o.maxEpsilon !== undefined) {
      throw new UserError('a non-private run takes no noise multiplier or epsilon target.');
    }
    return { private: false, numExamples: N, samplingRate: q, noiseMultiplier: 0, clipNorm: Infinity, delta, totalSteps, maxEpsilon: null, targetEpsilon: null };
  }
  const clipNorm = o.clipNorm;
  if (clipNorm === undefined) throw new UserError('a private run needs a clip norm.');
  positive(clipNorm, 'clip norm');
  if ((o.noiseMultiplier === undefined) === (o.targetEpsilon === undefined)) throw new UserError('give either a noise multiplier or a target epsilon (exactly one).');
  positive(o.noiseMultiplier, 'noise multiplier');
  positive(o.targetEpsilon, 'target epsilon');
  positive(o.maxEpsilon, 'maximum epsilon');
  const accountant = o.accountant ?? 'rdp';
  if (accountant !== 'rdp' && accountant !== 'pld') throw new UserError(`accountant must be rdp or pld, got '${String(accountant)}'.`);
  if (accountant === 'pld' && o.priorLedger && o.priorLedger.steps > 0) {
    throw new UserError('the PLD accountant does not budget a run that continues a private starting run; use the RDP accountant.');
  }
  const sigma: number =
    o.noiseMultiplier ??
    (accountant === 'pld'
      ? calibrateNoiseMultiplierPld({ targetEpsilon: o.targetEpsilon!, samplingRate: q, steps: totalSteps, delta }).noiseMultiplier
      : o.priorLedger && o.priorLedger.steps > 0
      ? calibrateAfterPrior(o.priorLedger, o.targetEpsilon!, q, totalSteps, delta)
      : calibrateNoiseMultiplier({ targetEpsilon: o.targetEpsilon!, samplingRate: q, steps: totalSteps, delta }).noiseMultiplier);
  const maxEpsilon = o.maxEpsilon ?? o.targetEpsilon ?? null;
  return { private: true, numExamples: N, samplingRate: q, noiseMultiplier: sigma, clipNorm, delta, totalSteps, maxEpsilon, targetEpsilon: o.targetEpsilon ?? null };
}

/**
 * Smallest sigma (to 1e-6 relative) such that the prior ledger composed with `steps` steps at
 * (q, sigma) spends at most targetEpsilon at delta. Bisection on the ledger itself, so the
 * answer is exactly what the run will report.
 */
function calibrateAfterPrior(prior: PrivacyLedger, targetEpsilon: number, q: number, steps: number, delta: number): number {
  const spent = prior.epsilon(delta).epsilon;
  if (!(spent < targetEpsilon)) {
    throw new UserError(`the starting run already spent epsilon ${spent.toFixed(3)} at delta ${delta}: nothing is left of a target of ${targetEpsilon}.`);
  }
  if (steps === 0) return calibrateNoiseMultiplier({ targetEpsilon, samplingRate: q, steps, delta }).noiseMultiplier;
  const eps = (sigma: number): number => prior.compose({ samplingRate: q, noiseMultiplier: sigma, count: steps }).epsilon(delta).epsilon;
  // Without the prior this sigma would just reach the target, so with it more noise is needed.
  let lo = calibrateNoiseMultiplier({ targetEpsilon, samplingRate: q, steps, delta }).noiseMultiplier;
  let hi = lo * 1.5;
  while (eps(hi) > targetEpsilon) {
    lo = hi;
    hi *= 2;
    if (hi > 1e6) throw new UserError(`no noise multiplier reaches epsilon ${targetEpsilon} after the starting run's spending.`);
  }
  while (hi - lo > 1e-6 * hi) {
    const mid = 0.5 * (lo + hi);
    if (eps(mid) <= targetEpsilon) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * The most steps (0..limit) of `event` whose PLD epsilon at delta is at most maxEpsilon
 * (bisection: epsilon grows with the step count). A step count the PLD cannot certify counts
 * as over budget only through its RDP fallback figure, which is larger: never under-reported.
 */
function pldStepBudget(event: SampledGaussianEvent, limit: number, maxEpsilon: number, delta: number): number {
  const eps = (count: number): number =>
    count === 0 ? 0 : PrivacyLedger.empty().compose({ ...event, count }).epsilonWith('pld', delta).epsilon;
  if (eps(limit) <= maxEpsilon) return limit;
  let lo = 0;
  let hi = limit;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (eps(mid) <= maxEpsilon) lo = mid;
    else hi = mid;
  }
  return lo;
}

function sameSettings(a: RunSettings, b: RunSettings): string | null {
  const keys: (keyof RunSettings)[] = ['private', 'numExamples', 'samplingRate', 'noiseMultiplier', 'clipNorm', 'delta', 'totalSteps', 'maxEpsilon'];
  for (const k of keys) if (a[k] !== b[k]) return k;
  if ((a.accountant ?? 'rdp') !== (b.accountant ?? 'rdp')) return 'accountant';
  return null;
}

/**
 * Train a language model with DP-SGD (or without privacy, as a baseline). Each step:
 * check the ledger (stop rather than exceed maxEpsilon) -> Poisson-sample a batch ->
 * forward with taps -> ghost norms -> clip factors -> clipped sum + N(0, sigma^2 C^2) -> / (qN)
 * -> optimizer step -> ledger.compose({q, sigma, count 1}) -> checkpoint -> onStep.
 * Privacy unit: one example (window). The per-step loss in StepReport is computed on the
 * private batch without noise: it is for monitoring and is NOT covered by the DP guarantee.
 */
export async function train(o: TrainOptions): Promise<TrainResult> {
  const warn = o.warn ?? ((m: string) => process.emitWarning(m));
  const s = resolveSettings(o, warn);
  const settings: RunSettings = {
    private: s.private, numExamples: s.numExamples, samplingRate: s.samplingRate, noiseMultiplier: s.noiseMultiplier,
    clipNorm: s.clipNorm, delta: s.delta, totalSteps: s.totalSteps, maxEpsilon: s.maxEpsilon,
    ...(s.private && (o.accountant ?? 'rdp') === 'pld' ? { accountant: 'pld' as const } : {}),
  };
  const physicalBatchSize = o.physicalBatchSize ?? Infinity;
  if (!(physicalBatchSize === Infinity || (Number.isInteger(physicalBatchSize) && physicalBatchSize >= 1))) {
    throw new UserError(`physical batch size must be an integer >= 1, got ${physicalBatchSize}.`);
  }
  const every = o.checkpointEvery ?? 1;
  if (!(Number.isInteger(every) && every >= 1)) throw new UserError(`checkpoint interval must be an integer >= 1, got ${every}.`);

  let root: RandomSource = o.seed !== undefined ? seededRandom(o.seed) : secureRandom();
  let model: LanguageModel;
  let optimizer: Optimizer;
  let ledger: PrivacyLedger | null = s.private ? (o.priorLedger ?? PrivacyLedger.empty()) : null;
  let step = 0;
  const event: SampledGaussianEvent = { samplingRate: s.samplingRate, noiseMultiplier: s.noiseMultiplier, count: 1 };

  const ckptPath = o.checkpointPath;
  if (o.resume && ckptPath && existsSync(ckptPath)) {
    const ck = loadCheckpoint(ckptPath);
    const diff = sameSettings(ck.run, settings);
    if (diff) throw new UserError(`cannot resume ${ckptPath}: its ${diff} differs from this run's.`);
    if ((o.seed !== undefined ? 'seeded' : 'secure') !== ck.random.kind) throw new UserError(`cannot resume ${ckptPath}: it was a ${ck.random.kind} run.`);
    model = modelFromJson(ck.model);
    const wanted = o.model instanceof LanguageModel ? o.model.config : validateConfig(o.model);
    const differs = (Object.keys(wanted) as (keyof LanguageModelConfig)[]).find((k) => wanted[k] !== model.config[k]);
    if (differs) {
      model.dispose();
      throw new UserError(`cannot resume ${ckptPath}: its model ${differs} differs from this run's.`);
    }
    if (o.model instanceof LanguageModel) {
      o.model.setWeights(model.weights());
      model.dispose();
      model = o.model;
    }
    optimizer = Optimizer.fromJSON(ck.optimizer, model.params);
    step = ck.step;
    if (ck.random.state) root = restoreSeededRandom(ck.random.state);
    if (s.private) {
      ledger = PrivacyLedger.fromJSON(ck.ledger);
      // Secure runs cannot replay lost steps; charge every step that may have run.
      const started = root.kind === 'secure' ? readJournal(ckptPath) : null;
      if (started !== null && started > step) {
        ledger = ledger.compose({ ...event, count: started - step });
        warn(`resuming after ${started - step} step(s) that ran but were not checkpointed; they are charged to the privacy ledger.`);
      }
    }
  } else {
    model = o.model instanceof LanguageModel ? o.model : LanguageModel.create(o.model, root.fork('init'));
    optimizer = new Optimizer(o.optimizer);
  }
  if (root.kind === 'seeded' && s.private) warn('seeded randomness: reproducible, but NOT a real privacy guarantee; omit the seed for secure noise.');

  const checkpoint = (): void => {
    if (!ckptPath) return;
    const ck: CheckpointJson = {
      format: 'dp-canary-checkpoint', version: 1, step,
      model: modelToJson(model), optimizer: optimizer.toJSON(),
      ledger: ledger ? (ledger.toJSON() as CheckpointJson['ledger']) : null,
      random: { kind: root.kind, state: root.state() },
      run: settings,
    };
    saveCheckpoint(ckptPath, ck);
  };

  const N = s.numExamples;
  const expected = s.samplingRate * N;
  // The budget: with RDP, the next ledger's epsilon; with PLD (too slow to evaluate every step),
  // the most steps of this run's event whose PLD epsilon stays within maxEpsilon, found once.
  const maxPldSteps = ledger && s.maxEpsilon !== null && (o.accountant ?? 'rdp') === 'pld' ? pldStepBudget(event, s.totalSteps, s.maxEpsilon, s.delta) : null;
  const overBudget = (l: PrivacyLedger, rdpEpsilon: number): boolean =>
    s.maxEpsilon !== null && (maxPldSteps !== null ? l.steps > maxPldSteps : rdpEpsilon > s.maxEpsilon);
  const threads = o.threads ?? 1;
  if (!(Number.isInteger(threads) && threads >= 1)) throw new UserError(`threads must be an integer >= 1, got ${threads}.`);
  const session = o.engine === undefined && threads > 1 ? new ParallelSession(threads) : null;
  try {
    const engine = o.engine ?? (session ? session.engineFor(model.config, o.examples, expected) : localEngine);
    return await trainLoop(engine);
  } finally {
    await session?.close();
  }

  async function trainLoop(engine: GradientEngine): Promise<TrainResult> {
    let stopReason: TrainResult['stopReason'] = 'completed';
    let epsilon = ledger ? ledger.epsilon(s.delta).epsilon : Infinity;
    if (ledger && overBudget(ledger, epsilon)) stopReason = 'epsilon-budget';
    while (stopReason === 'completed' && step < s.totalSteps) {
      let next: PrivacyLedger | null = null;
      let nextEpsilon = Infinity;
      if (ledger) {
        next = ledger.compose(event);
        nextEpsilon = next.epsilon(s.delta).epsilon;
        if (overBudget(next, nextEpsilon)) {
          stopReason = 'epsilon-budget';
          break;
        }
      }
      if (ckptPath && root.kind === 'secure' && ledger) writeJournal(ckptPath, step + 1);
      const t0 = performance.now();
      const indices = poissonSample(N, s.samplingRate, root.fork(`step-${step}/sample`));
      const g: StepGradient = await engine.gradient(model, o.examples, indices, {
        privacy: s.private
          ? { kind: 'dp', clipNorm: s.clipNorm, noiseMultiplier: s.noiseMultiplier, normMethod: o.normMethod }
          : { kind: 'none' },
        physicalBatchSize,
        expectedBatchSize: expected,
        step,
        random: root,
      });
      optimizer.apply(model.params, g.grads);
      tf.dispose([...g.grads.values()]);
      step += 1;
      if (next) {
        ledger = next;
        epsilon = nextEpsilon;
      }
      if (step % every === 0 || step === s.totalSteps) checkpoint();
      const seconds = (performance.now() - t0) / 1000;
      await o.onStep?.({
        step, totalSteps: s.totalSteps, loss: g.tokens > 0 ? g.lossSum / g.tokens : NaN, batchSize: g.batchSize, tokens: g.tokens, epsilon,
        examplesPerSecond: seconds > 0 ? g.batchSize / seconds : 0,
      });
    }
    if (stopReason !== 'completed') checkpoint();
    const validation = o.validation && o.validation.length > 0 ? evaluate(model, o.validation) : null;
    return {
      model, optimizer, ledger, steps: step, epsilon, delta: s.delta, noiseMultiplier: s.noiseMultiplier, samplingRate: s.samplingRate,
      clipNorm: s.clipNorm, randomKind: root.kind, stopReason, validation, settings,
    };
  }
}
