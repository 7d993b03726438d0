import * as tf from '@tensorflow/tfjs-core';
import { physicalChunks } from '../logical-batch.js';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { ledgerEpsilon, PrivacyLedger, type AccountantName } from '../../accountant/index.js';
import { InvalidArgumentError } from '../../util/errors.js';
import { restoreSeededRandom, secureRandom, seededRandom, type RandomSource } from '../../util/random.js';
import { privatizeGradient } from '../step-stages.js';
import { checkPositive, resolveRunPlan } from '../run-plan.js';
import { resumeLedger, runStepLoop, settingsDiff, warnIfSeeded } from '../step-loop.js';
import { fitSettingsOf, readFitCheckpoint, restoreFitCheckpoint, writeFitCheckpoint, type FitSettings } from './checkpoint.js';
import { trainableVariables } from './gradient.js';
import { passSums, type ChunkSpec, type PassSums } from './chunk-sums.js';
import { UserModelPool } from './parallel/pool.js';
import { checkWindowsPerStep, drawUnitExamples, indexUnits } from '../units.js';
import { shareFitPasses, unitPasses } from './units.js';
import { validateModel } from './graph.js';
import { guardNonFinite, nonFinitePositions, NON_FINITE_POLICIES, type NonFinitePolicy } from '../non-finite.js';
import { isCategorical, perExampleLoss, type LossName, type PerExampleLoss } from './losses.js';
import { asList, checkFiniteRows, evaluateModel } from './evaluate.js';

/**
 * What callbacks receive, Keras-style. Epsilon is in nats at the run's delta (Infinity without
 * DP). Assignable to tfjs's `Logs` ({[key: string]: number}), so tfjs-style callbacks type-check.
 */
// A type alias, not an interface: only aliases get the implicit index signature that makes them assignable to Logs.
export type FitLogs = {
  /** Mean per-example training loss of the epoch's batches (monitoring only, NOT private). */
  loss: number;
  epsilon: number;
  val_loss?: number;
  val_acc?: number;
};

export interface FitCallbacks {
  onEpochEnd?(epoch: number, logs: FitLogs): void | Promise<void>;
  /** After each logical step: batch = 0-based step within the epoch; logs.loss is that batch's mean loss. */
  onBatchEnd?(batch: number, logs: FitLogs & { size: number; step: number }): void | Promise<void>;
  onTrainEnd?(logs: FitLogs): void | Promise<void>;
}

export interface FitPrivatelyOptions {
  /** A tfjs loss name or a per-example loss ([B] values; see perExampleLoss). */
  readonly loss: LossName | PerExampleLoss;
  /** The model outputs logits rather than probabilities (cross-entropies only). */
  readonly fromLogits?: boolean;
  /** Any tfjs optimizer (tf.train.adam(1e-3), ...). */
  readonly optimizer: tf.Optimizer;
  /** Epochs (> 0): ceil(epochs / q) steps, as train counts them. */
  readonly epochs: number;
  /** EXPECTED logical batch size: each example joins a step with probability q = batchSize / N (Poisson sampling). */
  readonly batchSize: number;
  /** Largest chunk run through the model at once (memory); the logical batch is split into such chunks. Default 256. */
  readonly physicalBatchSize?: number;
  /** false: the non-private baseline (same Poisson batches, no clipping or noise, epsilon = Infinity). Default true. */
  readonly private?: boolean;
  /** Per-example L2 clip norm C over all trainable weights. */
  readonly clipNorm?: number;
  /** sigma; give this or targetEpsilon. */
  readonly noiseMultiplier?: number;
  /** Calibrate sigma so that the planned steps spend this epsilon (nats), and stop there. */
  readonly targetEpsilon?: number;
  /** delta; default 1/N rounded down to a power of ten (strictly below 1/N). */
  readonly delta?: number;
  /** Never take a step that would bring epsilon above this (defaults to targetEpsilon). */
  readonly maxEpsilon?: number;
  /**
   * The accountant that calibrates targetEpsilon and enforces maxEpsilon: 'rdp' (default) or
   * 'pld' (tighter, so less noise for the same target). The epsilon in logs and the result is
   * RDP's either way (an upper bound); ask ledgerEpsilon(result.ledger, delta, 'pld') for PLD's.
   */
  readonly accountant?: AccountantName;
  /**
   * Privacy already spent on this data (the ledger of the private run this model was trained
   * with): composed into the run's ledger before the first step, so epsilon, the budget and the
   * calibration for a target all count it (fine-tuning keeps composing onto it).
   */
  readonly priorLedger?: PrivacyLedger;
  /**
   * Worker threads computing each step's per-example clipping (integer >= 1, default 1: this
   * thread). With N > 1 each worker rebuilds the model from model.toJSON() and takes a
   * contiguous share of the logical batch; sampling, noise, the optimizer and the ledger stay in
   * this thread, so results equal threads: 1 up to float summation order. Needs a named loss and
   * a serialisable model (custom layers registered with tf.serialization.registerClass in a
   * module the worker loads: dp-canary's own are): otherwise an InvalidArgumentError.
   */
  readonly threads?: number;
  readonly validationData?: readonly [tf.Tensor | tf.Tensor[], tf.Tensor];
  readonly callbacks?: FitCallbacks;
  /** Seed for reproducible runs (NOT a privacy guarantee: the noise is predictable). Default: node:crypto. */
  readonly seed?: string | number;
  /** Checkpoint file written atomically every `checkpointEvery` steps (default: each epoch end); resume from it when it exists and resume is true. */
  readonly checkpointPath?: string;
  readonly checkpointEvery?: number;
  readonly resume?: boolean;
  /** Allow layers without a clipping rule by computing one gradient per example (slow). */
  readonly exactFallback?: boolean;
  /**
   * An example whose loss or gradient turns non-finite during training: 'stop' (default) throws
   * a NonFiniteLossError naming the step (the last checkpoint is kept); 'skip' leaves it out of
   * that step (it contributes zero) and counts it in `skippedExamples`. Non-finite values in x or
   * y are refused before training either way, naming the row.
   */
  readonly nonFinite?: NonFinitePolicy;
  /**
   * One privacy-unit id per row of x (a user, a document; numbers or strings). Then units are
   * Poisson-sampled (q = batchSize / units), each sampled unit contributes the mean gradient of at
   * most `examplesPerUnit` of its rows (drawn without replacement), clipped to clipNorm as one
   * example, and epsilon is per unit. Private runs only. Default: each row is its own unit.
   */
  readonly unitIds?: ArrayLike<number | string>;
  /** Most rows of a sampled unit in one step (integer >= 1, default 4). */
  readonly examplesPerUnit?: number;
  readonly warn?: (message: string) => void;
}

export interface FitPrivatelyResult {
  /** Per-epoch logs (Keras History style). */
  readonly history: { loss: number[]; epsilon: number[]; val_loss: number[]; val_acc: number[] };
  readonly epsilon: number;
  readonly delta: number;
  readonly noiseMultiplier: number;
  readonly samplingRate: number;
  readonly steps: number;
  readonly stopReason: 'completed' | 'epsilon-budget';
  readonly randomKind: 'seeded' | 'secure';
  readonly mode: 'fast' | 'exact' | 'non-private';
  readonly ledger: PrivacyLedger | null;
  /** Examples left out of their step because their loss or gradient was not finite (nonFinite 'skip'). */
  readonly skippedExamples: number;
}

/**
 * Trains a user's tf.LayersModel (Sequential or functional) with DP-SGD, shaped like
 * model.fit. Each logical step: check the ledger (stop rather than exceed maxEpsilon) ->
 * Poisson-sample the logical batch (rate q = batchSize / N) -> for each chunk of at most
 * physicalBatchSize examples, per-example clipping by the layer rules (or the exact fallback)
 * and accumulation of the clipped sums -> ONE draw of N(0, sigma^2 C^2) noise -> division by the
 * expected batch size q N -> optimizer step -> ONE ledger charge. Privacy unit: one row of x,
 * or with unitIds one unit (its rows' mean gradient clipped as one example; see unitIds).
 * The run plan (q, steps, sigma, budget) is resolved as train resolves it (run-plan.ts): steps
 * per epoch ceil(1 / q), ceil(epochs / q) steps in all. Weights are updated in place.
 *
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import * as tfl from '@tensorflow/tfjs-layers';
 * import { initBackend } from 'dp-canary/dpsgd';
 * await initBackend();
 * const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [4], units: 3, activation: 'softmax' })] });
 * const x = tf.randomNormal([64, 4]);
 * const y = tf.tensor1d(Array.from({ length: 64 }, (_, i) => i % 3));
 * import { fitPrivately } from 'dp-canary/dpsgd';
 * const result = await fitPrivately(model, x, y, {
 *   loss: 'sparseCategoricalCrossentropy',
 *   optimizer: tf.train.adam(0.01),
 *   epochs: 2,
 *   batchSize: 16, // expected batch: Poisson sampling with q = 16 / 64
 *   clipNorm: 1,
 *   noiseMultiplier: 1.1, // or targetEpsilon
 *   seed: 1, // reproducible, NOT private: leave it out for real runs
 *   warn: () => {},
 * });
 * result.epsilon; // nats, at result.delta
 * ```
 */
export async function fitPrivately(model: LayersModel, x: tf.Tensor | tf.Tensor[], y: tf.Tensor, o: FitPrivatelyOptions): Promise<FitPrivatelyResult> {
  const warn = o.warn ?? ((m: string) => process.emitWarning(m));
  const xs = asList(x);
  const N = y.shape[0];
  if (N === 0) throw new InvalidArgumentError('there are no training examples.');
  for (const t of xs) if (t.shape[0] !== N) throw new InvalidArgumentError(`x has ${t.shape[0]} rows but y has ${N}.`);
  xs.forEach((t, i) => checkFiniteRows(t, xs.length === 1 ? 'x' : `x[${i}]`));
  checkFiniteRows(y, 'y');
  const nonFinite = o.nonFinite ?? 'stop';
  if (!NON_FINITE_POLICIES.includes(nonFinite)) throw new InvalidArgumentError(`nonFinite must be 'stop' or 'skip', got ${JSON.stringify(nonFinite)}.`);
  const isPrivate = o.private ?? true;
  checkPositive(o.batchSize, 'batch size');
  const physical = o.physicalBatchSize ?? 256;
  if (!(Number.isInteger(physical) && physical >= 1)) throw new InvalidArgumentError(`physical batch size must be an integer >= 1, got ${physical}.`);
  const threads = o.threads ?? 1;
  if (!(Number.isInteger(threads) && threads >= 1)) throw new InvalidArgumentError(`threads must be an integer >= 1, got ${threads}.`);
  // Workers rebuild the model and the loss from what can be sent to them: a loss function cannot be.
  if (threads > 1 && typeof o.loss === 'function') throw new InvalidArgumentError('threads > 1 needs a named loss (a loss function cannot be sent to worker threads); threads: 1 takes any per-example loss.');
  // With units the population is the units (sampling, delta's default and epsilon are per unit).
  const units = o.unitIds !== undefined ? indexUnits(o.unitIds, N) : null;
  const m = o.examplesPerUnit ?? 4;
  if (units) {
    checkWindowsPerStep(m);
    if (!isPrivate) throw new InvalidArgumentError('unitIds apply to private runs.');
  } else if (o.examplesPerUnit !== undefined) throw new InvalidArgumentError('examplesPerUnit needs unitIds.');
  if (!isPrivate && (o.noiseMultiplier !== undefined || o.targetEpsilon !== undefined || o.clipNorm !== undefined || o.accountant !== undefined || o.priorLedger !== undefined)) {
    throw new InvalidArgumentError('a non-private run takes no clip norm, noise multiplier, epsilon target, accountant or prior ledger.');
  }
  const resolved = resolveRunPlan({
    private: isPrivate,
    population: units ? units.count : N,
    populationName: units ? 'units' : 'examples',
    sampling: { batchSize: o.batchSize },
    length: { epochs: o.epochs },
    delta: o.delta,
    clipNorm: o.clipNorm,
    clipName: 'clipNorm',
    noise: {
      noiseMultiplier: o.noiseMultiplier, targetEpsilon: o.targetEpsilon, maxEpsilon: o.maxEpsilon, accountant: o.accountant,
      priorLedger: o.priorLedger, names: { multiplier: 'noiseMultiplier', target: 'targetEpsilon' },
    },
    ...(units ? { windowsPerStep: m } : {}),
    warn,
  });
  const { plan, stepsPerEpoch } = resolved;
  const { numExamples: population, samplingRate: q, totalSteps, delta, noiseMultiplier: sigma } = plan;
  const clipNorm = isPrivate ? plan.clipNorm : null;
  const loss = typeof o.loss === 'function' ? o.loss : perExampleLoss(o.loss, o.fromLogits ?? false);
  const categorical = isCategorical(o.loss);
  let mode: FitPrivatelyResult['mode'] = 'non-private';
  if (isPrivate) {
    mode = validateModel(model, o.exactFallback ?? false);
    if (mode === 'exact') warn('some layers have no per-example clipping rule: every gradient is computed one example at a time (slow).');
  }
  // Non-private runs also go through the layer rules where they can (tested equal to autodiff),
  // which trains convolutions on wasm; otherwise through tfjs autodiff.
  let plainMode: 'rules' | 'autodiff' = 'autodiff';
  if (!isPrivate) {
    try {
      plainMode = validateModel(model, false) === 'fast' ? 'rules' : 'autodiff';
    } catch {
      plainMode = 'autodiff';
    }
  }
  const settings = fitSettingsOf(plan);
  const every = o.checkpointEvery ?? stepsPerEpoch;
  if (!(Number.isInteger(every) && every >= 1)) throw new InvalidArgumentError(`checkpoint interval must be an integer >= 1, got ${every}.`);

  let root: RandomSource = o.seed !== undefined ? seededRandom(o.seed) : secureRandom();
  let ledger: PrivacyLedger | null = isPrivate ? (o.priorLedger ?? PrivacyLedger.empty()) : null;
  const event = { samplingRate: q, noiseMultiplier: sigma, count: 1 };
  let step = 0;
  const ckPath = o.checkpointPath;
  const ck = o.resume && ckPath ? readFitCheckpoint(ckPath) : null;
  if (ck && ckPath) {
    const diff = settingsDiff(ck.settings, settings, Object.keys(settings) as (keyof FitSettings)[]);
    if (diff) throw new InvalidArgumentError(`cannot resume ${ckPath}: its ${diff} differs from this run's.`);
    if (ck.random.kind !== root.kind) throw new InvalidArgumentError(`cannot resume ${ckPath}: it was a ${ck.random.kind} run.`);
    await restoreFitCheckpoint(ck, model, o.optimizer, ckPath);
    step = ck.step;
    if (ck.random.state) root = restoreSeededRandom(ck.random.state);
    if (isPrivate) ledger = resumeLedger(ck.ledger, { random: root, checkpointPath: ckPath, event, step, warn });
  }
  warnIfSeeded(root, isPrivate, warn);

  const params = trainableVariables(model);
  const stableKey = new Map([...params.keys()].map((n, k) => [n, `weight-${String(k).padStart(4, '0')}`]));
  const nameOf = new Map([...stableKey].map(([n, k]) => [k, n]));
  const checkpoint = async (done: { step: number; ledger: PrivacyLedger | null }): Promise<void> => {
    if (!ckPath) return;
    await writeFitCheckpoint(ckPath, model, o.optimizer, {
      step: done.step, ledger: done.ledger ? done.ledger.toJSON() : null, random: { kind: root.kind, state: root.state() }, settings,
    });
  };

  const history: FitPrivatelyResult['history'] = { loss: [], epsilon: [], val_loss: [], val_acc: [] };
  let epsilon = ledger ? ledgerEpsilon(ledger, delta).epsilon : Infinity;
  let epochLoss = 0;
  let epochCount = 0;
  const endEpoch = async (epoch: number): Promise<FitLogs> => {
    const logs: FitLogs = { loss: epochCount > 0 ? epochLoss / epochCount : NaN, epsilon };
    if (o.validationData) {
      const v = evaluateModel(model, o.validationData[0], o.validationData[1], loss, categorical);
      logs.val_loss = v.loss;
      history.val_loss.push(v.loss);
      if (v.acc !== undefined) {
        logs.val_acc = v.acc;
        history.val_acc.push(v.acc);
      }
    }
    history.loss.push(logs.loss);
    history.epsilon.push(epsilon);
    epochLoss = 0;
    epochCount = 0;
    await o.callbacks?.onEpochEnd?.(epoch, logs);
    return logs;
  };

  const spec: ChunkSpec = { loss, clipNorm, mode, plainMode };
  let pool: UserModelPool | null = null;
  /** The clipped (or plain) sums of the passes of a logical batch, in this thread or cut among the pool's workers. */
  const chunkSums = async (t: number, idx: Int32Array): Promise<PassSums> => {
    // Sampled units: at most m rows of each (drawn here, from the run's random source), in passes of whole units.
    const draw = units ? drawUnitExamples(units, idx, m, root.fork(`step-${t}/rows`)) : null;
    const sums = pool
      ? await pool.sums(shareFitPasses(idx, draw, physical, pool.threads))
      : passSums(model, xs, y, spec, draw ? unitPasses(draw, physical) : physicalChunks(idx, physical).map((indices) => ({ indices })));
    // The report divides by the units sampled; scaled so that it reads as the mean per row.
    if (draw && draw.rows.length > 0) return { ...sums, lossSum: sums.lossSum * (idx.length / draw.rows.length) };
    return sums;
  };
  /** Each example's own loss, to find those that are not finite. */
  const exampleLosses = (idx: Int32Array): Float32Array =>
    tf.tidy(() => {
      const xb = xs.map((x) => tf.gather(x, idx));
      const out = model.apply(xb.length === 1 ? xb[0]! : xb, { training: false }) as tf.Tensor;
      return loss(tf.gather(y, idx), out).dataSync() as Float32Array;
    });
  let skipped = 0;

  /** The user model's part of a step: clipped (or plain) chunk sums, one noise draw, the tfjs optimizer's update. Returns the loss sum. */
  // The stages after sampling (step-stages.ts): per-sample norms and clip and accumulate
  // (chunkSums, by the layer rules), add noise and scale grad (privatizeGradient), optimizer step.
  const takeStep = async (t: number, idx: Int32Array): Promise<number> => {
    const guarded = await guardNonFinite(
      idx, t, nonFinite, (i) => chunkSums(t, i),
      // Units: their norms are per unit (a row's own loss does not name a unit).
      (i, first) => (units ? (first.norms.length === i.length ? nonFinitePositions(first.norms) : []) : [...new Set([...nonFinitePositions(first.norms), ...nonFinitePositions(exampleLosses(i))])]),
      (first) => first.acc && tf.dispose([...first.acc.values()]),
    );
    skipped += guarded.skipped;
    const { acc, lossSum } = guarded.result;
    // Every trainable weight gets noise, also one no example reached (an empty batch).
    const sums = new Map<string, tf.Tensor>();
    for (const [n, v] of params) sums.set(n, acc?.get(n) ?? tf.zerosLike(v));
    if (acc) tf.dispose([...acc].filter(([n]) => !params.has(n)).map(([, t]) => t));
    // Noise streams are keyed by the weight's position, not its tfjs name (which changes with every model instance), so a seeded run is reproducible.
    const keyed = new Map([...sums].map(([n, t]) => [stableKey.get(n)!, t]));
    const grads = privatizeGradient(keyed, { noiseMultiplier: sigma, clipNorm: clipNorm ?? 0, expectedBatchSize: q * population, step: t, random: root });
    o.optimizer.applyGradients(Object.fromEntries([...grads].map(([k, g]) => [nameOf.get(k)!, g])));
    tf.dispose([...grads.values()]);
    return lossSum;
  };

  let run: Awaited<ReturnType<typeof runStepLoop>>;
  try {
    // Closed whatever happens (finally): live workers would keep the process running.
    if (threads > 1) pool = await UserModelPool.open({ threads, model, xs, y, loss: o.loss as LossName, fromLogits: o.fromLogits ?? false, spec: { clipNorm, mode, plainMode } });
    run = await runStepLoop({
    numExamples: population, samplingRate: q, totalSteps, startStep: step, random: root,
    privacy: ledger ? { event, delta, ledger, budget: resolved.budget } : null,
    journalPath: ckPath ?? null,
    checkpointEvery: every,
    takeStep,
    checkpoint,
    report: async (lossSum, done) => {
      epsilon = done.epsilon;
      const batchLoss = done.batchSize > 0 ? lossSum / done.batchSize : NaN;
      if (done.batchSize > 0) {
        epochLoss += batchLoss;
        epochCount += 1;
      }
      await o.callbacks?.onBatchEnd?.((done.step - 1) % stepsPerEpoch, { loss: batchLoss, epsilon, size: done.batchSize, step: done.step });
      if (done.step % stepsPerEpoch === 0 || done.step === totalSteps) await endEpoch(Math.ceil(done.step / stepsPerEpoch) - 1);
    },
    });
  } finally {
    await pool?.close();
  }
  epsilon = run.epsilon;
  if (run.stopReason !== 'completed' && epochCount > 0) await endEpoch(Math.floor(run.steps / stepsPerEpoch));
  const final: FitLogs = { loss: history.loss.at(-1) ?? NaN, epsilon };
  await o.callbacks?.onTrainEnd?.(final);
  return { history, epsilon, delta, noiseMultiplier: sigma, samplingRate: q, steps: run.steps, stopReason: run.stopReason, randomKind: root.kind, mode, ledger: run.ledger, skippedExamples: skipped };
}
