import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { PrivacyLedger, type SampledGaussianEvent } from '../accountant/index.js';
import { InvalidArgumentError } from '../util/errors.js';
import { restoreSeededRandom, secureRandom, seededRandom, type RandomSource } from '../util/random.js';
import { loadCheckpoint, saveCheckpoint, type CheckpointJson } from './checkpoint.js';
import type { NormMethod } from './per-example/types.js';
import type { StepGradient } from './gradient.js';
import { localEngine, type GradientEngine } from './gradient-engine.js';
import { guardNonFinite, nonFinitePositions, NON_FINITE_POLICIES, type NonFinitePolicy } from './non-finite.js';
import type { LogicalStepPrivacy } from './logical-batch.js';
import { ParallelSession } from './parallel/session.js';
import { LanguageModel, validateConfig, type LanguageModelConfig } from './model.js';
import { modelFromJson, modelToJson } from './model-io.js';
import { Optimizer, type OptimizerConfig } from './optimizers.js';
import { resolveRunPlan, type ResolvedRun, type RunPlan } from './run-plan.js';
import { resumeLedger, runStepLoop, settingsDiff, warnIfSeeded } from './step-loop.js';
import { evaluate, perExampleLosses, type Evaluation } from './evaluate.js';
import { maxExamplesPerPass } from './pass-memory.js';
import { checkWindowsPerStep, drawUnitExamples, indexUnits, type UnitIndex } from './units.js';

export { defaultDelta } from './run-plan.js';

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

/** Differential privacy of a run: none (the plain minibatch baseline) or DP-SGD. */
export type TrainPrivacy = { readonly kind: 'none' } | DpSgdPrivacy;

/** DP-SGD: per-example clipping to clipNorm, Gaussian noise, an RDP ledger and a budget. */
export interface DpSgdPrivacy {
  readonly kind: 'dp';
  /** Per-example L2 clip norm C (> 0) of the summed-over-tokens loss gradient. */
  readonly clipNorm: number;
  /** The noise: a fixed multiplier sigma, or a target epsilon sigma is calibrated for. */
  readonly noise: NoiseOption;
  /**
   * Never take a step that would bring epsilon (nats, at the run's delta) above this (> 0);
   * checked before each step. Default: the target epsilon, or no budget with a fixed multiplier.
   */
  readonly maxEpsilon?: number;
  /**
   * The accountant that calibrates noise.targetEpsilon and enforces maxEpsilon: 'rdp' (default)
   * or 'pld' (the privacy loss distribution accountant: tighter, so less noise for the same
   * target). Either way the per-step epsilon in StepReport and TrainResult is RDP's, an upper bound.
   */
  readonly accountant?: 'rdp' | 'pld';
  /**
   * Privacy already spent on data this run's data may overlap with (for example the ledger of a
   * private run this one starts from): composed into the ledger before the first step, so the
   * run's epsilon, its budget and the calibration for a target all count it.
   */
  readonly priorLedger?: PrivacyLedger;
  /** How per-example gradient norms are computed (default: ghost norms where the layers allow). */
  readonly normMethod?: NormMethod | 'reference';
}

/** sigma directly, or the epsilon (nats, at the run's delta) the planned steps may spend. */
export type NoiseOption =
  | { readonly multiplier: number; readonly targetEpsilon?: never }
  | { readonly targetEpsilon: number; readonly multiplier?: never };

/** Poisson sampling: each example joins a step with probability q. */
export type SamplingOption =
  /** q in (0, 1]. */
  | { readonly rate: number; readonly batchSize?: never }
  /** The EXPECTED batch size (> 0, at most N): q = batchSize / N. */
  | { readonly batchSize: number; readonly rate?: never };

/** How long a run is. */
export type LengthOption =
  /** Logical steps (integer >= 0). */
  | { readonly steps: number; readonly epochs?: never }
  /** Epochs (> 0): steps = ceil(epochs / q). */
  | { readonly epochs: number; readonly steps?: never };

/**
 * Privacy units larger than one example (DP-SGD only; see units.ts): Poisson sampling picks
 * units (q = expected units per step / units), each sampled unit contributes the mean gradient
 * of at most `windowsPerStep` of its examples, clipped to C as one example, and epsilon is per unit.
 */
export interface TrainingUnits {
  /** One unit id per example (numbers or strings); examples with the same id form one unit. */
  readonly ids: ArrayLike<number | string>;
  /** m (integer >= 1): most examples of a sampled unit in one step, drawn uniformly without replacement. */
  readonly windowsPerStep: number;
}

export interface TrainOptions {
  /** A model to train in place, or a config for a fresh one (initialised from the run's random source). */
  readonly model: LanguageModel | LanguageModelConfig;
  /** Training examples: windows of seqLen+1 token ids (makeWindows). One window = the privacy unit unless `units`. */
  readonly examples: readonly (Int32Array | readonly number[])[];
  /**
   * Group the examples into privacy units (documents, users): sampling, clipping, delta's
   * default and epsilon are then per unit, and sampling.batchSize counts units. DP only; the
   * model must have no dropout. Default: one example per unit.
   */
  readonly units?: TrainingUnits;
  /** DP-SGD or the non-private baseline (no clipping, no noise, no ledger). */
  readonly privacy: TrainPrivacy;
  readonly sampling: SamplingOption;
  /** Default: 1 epoch. */
  readonly length?: LengthOption;
  /**
   * Largest number of examples in one forward/backward pass (default: no limit). A larger
   * logical batch is processed in chunks whose clipped sums add up; noise is added once per
   * logical step and the ledger charged once, so privacy does not depend on this, only memory.
   */
  readonly physicalBatchSize?: number;
  /** delta in (0, 1); default 1/N rounded down to a power of 10 (strictly below 1/N). */
  readonly delta?: number;
  readonly optimizer: OptimizerConfig;
  /** Seed for reproducible runs (NOT for real privacy); default: node:crypto noise and sampling. */
  readonly seed?: string | number;
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
  /**
   * An example whose loss or gradient is not finite: 'stop' (default) refuses the step with a
   * NonFiniteLossError naming it, keeping the last checkpoint; 'skip' leaves it out of the step
   * (it contributes zero) and counts it in `skippedExamples`. See non-finite.ts.
   */
  readonly nonFinite?: NonFinitePolicy;
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
  /** The run plan (also what its checkpoint records). */
  readonly plan: RunPlan;
  /** Examples left out of their step because their loss or gradient was not finite (nonFinite 'skip'; 0 otherwise). */
  readonly skippedExamples: number;
}

/**
 * The run plan of train's options (resolveRunPlan, run-plan.ts): InvalidArgumentError on
 * contradictions and out-of-range values, also for JS callers.
 */
export function resolveTrainPlan(o: TrainOptions, warn: (m: string) => void): ResolvedRun {
  if (o.examples.length === 0) throw new InvalidArgumentError('there are no training examples.');
  const index = unitIndexOf(o);
  // Loose views of the unions: a JS caller may give any combination, which is checked here.
  const privacy = o.privacy as Partial<DpSgdPrivacy> | { kind?: unknown } | undefined;
  if (!privacy || (privacy.kind !== 'none' && privacy.kind !== 'dp')) throw new InvalidArgumentError("privacy must be { kind: 'none' } or { kind: 'dp', clipNorm, noise }.");
  const isPrivate = privacy.kind === 'dp';
  if (index && !isPrivate) throw new InvalidArgumentError('privacy units apply to DP-SGD: give privacy { kind: \'dp\' } or leave units out.');
  if (!isPrivate) {
    const dpOnly = ['clipNorm', 'noise', 'maxEpsilon', 'accountant', 'priorLedger', 'normMethod'].filter((k) => k in privacy);
    if (dpOnly.length > 0) throw new InvalidArgumentError(`a non-private run takes no ${dpOnly.join(', ')} (those are DP-SGD settings).`);
  }
  const dp = privacy as Partial<DpSgdPrivacy>;
  const noise = (dp.noise ?? {}) as { multiplier?: number; targetEpsilon?: number };
  return resolveRunPlan({
    private: isPrivate,
    // The sampling population: examples, or units.
    population: index ? index.count : o.examples.length,
    populationName: index ? 'units' : 'examples',
    sampling: (o.sampling ?? {}) as { rate?: number; batchSize?: number },
    length: (o.length ?? {}) as { steps?: number; epochs?: number },
    delta: o.delta,
    clipNorm: dp.clipNorm,
    noise: {
      noiseMultiplier: noise.multiplier, targetEpsilon: noise.targetEpsilon, maxEpsilon: dp.maxEpsilon, accountant: dp.accountant,
      priorLedger: dp.priorLedger, names: { multiplier: 'a noise multiplier', target: 'a target epsilon' },
    },
    ...(isPrivate && o.units ? { windowsPerStep: o.units.windowsPerStep } : {}),
    warn,
  });
}

/** The examples grouped by o.units (checked), or null without units. */
function unitIndexOf(o: TrainOptions): UnitIndex | null {
  if (o.units === undefined) return null;
  const u = o.units as Partial<TrainingUnits>;
  if (typeof u !== 'object' || u === null || u.ids === undefined) throw new InvalidArgumentError('units must be { ids, windowsPerStep }.');
  checkWindowsPerStep(u.windowsPerStep as number);
  const dropout = o.model instanceof LanguageModel ? o.model.config.dropout : o.model.dropout;
  if (dropout) throw new InvalidArgumentError('dropout is not supported with privacy units larger than one window.');
  return indexUnits(u.ids, o.examples.length);
}

function sameSettings(a: RunPlan, b: RunPlan): string | null {
  const keys: (keyof RunPlan)[] = ['private', 'numExamples', 'samplingRate', 'noiseMultiplier', 'clipNorm', 'delta', 'totalSteps', 'maxEpsilon', 'windowsPerStep'];
  const diff = settingsDiff(a, b, keys);
  if (diff !== null) return diff;
  if ((a.accountant ?? 'rdp') !== (b.accountant ?? 'rdp')) return 'accountant';
  return null;
}

/** Where a run starts: fresh, or from its checkpoint. */
interface RunStart {
  readonly model: LanguageModel;
  readonly optimizer: Optimizer;
  /** Null for a non-private run. */
  readonly ledger: PrivacyLedger | null;
  readonly step: number;
  readonly root: RandomSource;
}

/**
 * A fresh run (the model given or created from root.fork('init'), a new optimizer, the prior
 * ledger or an empty one), or, with resume and an existing checkpoint, the checkpoint's model,
 * optimizer, step, random state and ledger (plus the steps its journal says were lost). A
 * checkpoint whose settings, randomness or model config differ is refused (InvalidArgumentError).
 */
function startOrResume(o: TrainOptions, s: RunPlan, event: SampledGaussianEvent, warn: (m: string) => void): RunStart {
  const root: RandomSource = o.seed !== undefined ? seededRandom(o.seed) : secureRandom();
  const path = o.checkpointPath;
  if (!(o.resume && path && existsSync(path))) {
    return {
      model: o.model instanceof LanguageModel ? o.model : LanguageModel.create(o.model, root.fork('init')),
      optimizer: new Optimizer(o.optimizer),
      ledger: o.privacy.kind === 'dp' ? (o.privacy.priorLedger ?? PrivacyLedger.empty()) : null,
      step: 0,
      root,
    };
  }
  const ck = loadCheckpoint(path);
  const diff = sameSettings(ck.run, s);
  if (diff) throw new InvalidArgumentError(`cannot resume ${path}: its ${diff} differs from this run's.`);
  if (root.kind !== ck.random.kind) throw new InvalidArgumentError(`cannot resume ${path}: it was a ${ck.random.kind} run.`);
  let model = modelFromJson(ck.model);
  const wanted = o.model instanceof LanguageModel ? o.model.config : validateConfig(o.model);
  const differs = (Object.keys(wanted) as (keyof LanguageModelConfig)[]).find((k) => wanted[k] !== model.config[k]);
  if (differs) {
    model.dispose();
    throw new InvalidArgumentError(`cannot resume ${path}: its model ${differs} differs from this run's.`);
  }
  if (o.model instanceof LanguageModel) {
    o.model.setWeights(model.weights());
    model.dispose();
    model = o.model;
  }
  const restored = ck.random.state ? restoreSeededRandom(ck.random.state) : root;
  return {
    model,
    optimizer: Optimizer.fromJSON(ck.optimizer, model.params),
    ledger: s.private ? resumeLedger(ck.ledger, { random: restored, checkpointPath: path, event, step: ck.step, warn }) : null,
    step: ck.step,
    root: restored,
  };
}

/**
 * Train a language model with DP-SGD (or without privacy, as a baseline): runStepLoop
 * (step-loop.ts) with this model's step, which is: forward with taps -> ghost norms -> clip
 * factors -> clipped sum + N(0, sigma^2 C^2) -> / (qN) (or the plain gradient), computed by the
 * gradient engine (this thread or data-parallel workers) -> optimizer step. Around it the loop
 * checks the budget, samples, charges the ledger, checkpoints and calls onStep.
 * Privacy unit: one example (window), or with `units` one unit (units.ts). The per-step loss in StepReport is computed on the
 * private batch without noise: it is for monitoring and is NOT covered by the DP guarantee.
 *
 * ```ts
 * import { initBackend, makeWindows, train } from 'dp-canary/dpsgd';
 * await initBackend();
 * const result = await train({
 *   model: { vocabSize: 5, embeddingDim: 4, hiddenSize: 8, layers: 1, cell: 'lstm', dropout: 0 },
 *   examples: makeWindows(Array.from({ length: 400 }, (_, i) => i % 5), 7), // 50 windows of 8 tokens
 *   privacy: { kind: 'dp', clipNorm: 1, noise: { multiplier: 1.1 } }, sampling: { batchSize: 10 }, length: { steps: 3 },
 *   optimizer: { name: 'adam', learningRate: 0.01 }, seed: 1, // seed: reproducible, NOT private
 * });
 * result.epsilon; // nats, at result.delta (default 0.01: below 1 / 50 windows)
 * ```
 */
export async function train(o: TrainOptions): Promise<TrainResult> {
  const warn = o.warn ?? ((m: string) => process.emitWarning(m));
  const resolved = resolveTrainPlan(o, warn);
  const s = resolved.plan;
  const dp = o.privacy.kind === 'dp' ? o.privacy : null;
  const requestedPhysical = o.physicalBatchSize ?? Infinity;
  if (!(requestedPhysical === Infinity || (Number.isInteger(requestedPhysical) && requestedPhysical >= 1))) {
    throw new InvalidArgumentError(`physical batch size must be an integer >= 1, got ${requestedPhysical}.`);
  }
  // A transformer's pass is also kept within the wasm heap (pass-memory.ts); results do not depend on it.
  const physicalBatchSize = Math.min(requestedPhysical, maxExamplesPerPass(o.model instanceof LanguageModel ? o.model.config : o.model, (o.examples[0]?.length ?? 1) - 1));
  const every = o.checkpointEvery ?? 1;
  if (!(Number.isInteger(every) && every >= 1)) throw new InvalidArgumentError(`checkpoint interval must be an integer >= 1, got ${every}.`);
  const threads = o.threads ?? 1;
  if (!(Number.isInteger(threads) && threads >= 1)) throw new InvalidArgumentError(`threads must be an integer >= 1, got ${threads}.`);

  const event: SampledGaussianEvent = { samplingRate: s.samplingRate, noiseMultiplier: s.noiseMultiplier, count: 1 };
  const { model, optimizer, ledger, step, root } = startOrResume(o, s, event, warn);
  warnIfSeeded(root, s.private, warn);
  const ckptPath = o.checkpointPath;

  const checkpoint = (done: { step: number; ledger: PrivacyLedger | null }): void => {
    if (!ckptPath) return;
    const ck: CheckpointJson = {
      format: 'dp-canary-checkpoint', version: 1, step: done.step,
      model: modelToJson(model), optimizer: optimizer.toJSON(),
      ledger: done.ledger ? (done.ledger.toJSON() as CheckpointJson['ledger']) : null,
      random: { kind: root.kind, state: root.state() },
      run: s,
    };
    saveCheckpoint(ckptPath, ck);
  };

  const N = s.numExamples;
  const expected = s.samplingRate * N;
  const units = unitIndexOf(o);
  const m = o.units?.windowsPerStep ?? 1;
  const privacy: LogicalStepPrivacy = dp ? { kind: 'dp', clipNorm: s.clipNorm, noiseMultiplier: s.noiseMultiplier, normMethod: dp.normMethod } : { kind: 'none' };
  const nonFinite = o.nonFinite ?? 'stop';
  if (!NON_FINITE_POLICIES.includes(nonFinite)) throw new InvalidArgumentError(`nonFinite must be 'stop' or 'skip', got ${JSON.stringify(nonFinite)}.`);
  let skipped = 0;
  const session = o.engine === undefined && threads > 1 ? new ParallelSession(threads) : null;
  try {
    // Rows per step (for 'auto' threads): at most m windows of each expected unit.
    const engine = o.engine ?? (session ? session.engineFor(model.config, o.examples, expected * Math.min(m, units?.largest ?? 1)) : localEngine);
    const run = await runStepLoop<StepGradient>({
      numExamples: N, samplingRate: s.samplingRate, totalSteps: s.totalSteps, startStep: step, random: root,
      privacy: ledger ? { event, delta: s.delta, ledger, budget: resolved.budget } : null,
      journalPath: ckptPath ?? null,
      checkpointEvery: every,
      // The language model's part of a step: the engine's gradient (this thread or workers), then the update.
      takeStep: async (t, indices) => {
        const base = { privacy, physicalBatchSize, expectedBatchSize: expected, step: t, random: root };
        // `idx` are examples, or units whose windows (at most m of each) come from the step's own stream.
        const gradient = async (idx: Int32Array): Promise<StepGradient> => {
          if (!units) return engine.gradient(model, o.examples, idx, base);
          const draw = drawUnitExamples(units, idx, m, root.fork(`step-${t}/windows`));
          return engine.gradient(model, o.examples, draw.rows, { ...base, unitSizes: draw.sizes });
        };
        // Offending examples (or units: their norms are per unit) are found by their norms, and
        // for window runs also by their own losses (a non-private step has no norms).
        const bad = (idx: Int32Array, first: StepGradient): number[] => {
          const byNorm = first.norms && first.norms.length === idx.length ? nonFinitePositions(first.norms) : [];
          return units ? byNorm : [...new Set([...byNorm, ...nonFinitePositions(perExampleLosses(model, o.examples, idx))])];
        };
        const { result: g, skipped: left } = await guardNonFinite(indices, t, nonFinite, gradient, bad, (first) => tf.dispose([...first.grads.values()]));
        skipped += left;
        optimizer.apply(model.params, g.grads);
        tf.dispose([...g.grads.values()]);
        return g;
      },
      checkpoint,
      report: (g, done) =>
        o.onStep?.({
          step: done.step, totalSteps: s.totalSteps, loss: g.tokens > 0 ? g.lossSum / g.tokens : NaN, batchSize: g.batchSize, tokens: g.tokens,
          epsilon: done.epsilon, examplesPerSecond: done.seconds > 0 ? g.batchSize / done.seconds : 0,
        }),
    });
    const validation = o.validation && o.validation.length > 0 ? evaluate(model, o.validation) : null;
    return {
      model, optimizer, ledger: run.ledger, steps: run.steps, epsilon: run.epsilon, delta: s.delta, noiseMultiplier: s.noiseMultiplier,
      samplingRate: s.samplingRate, clipNorm: s.clipNorm, randomKind: root.kind, stopReason: run.stopReason, validation, plan: s,
      skippedExamples: skipped,
    };
  } finally {
    await session?.close();
  }
}
