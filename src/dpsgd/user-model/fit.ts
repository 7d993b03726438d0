import * as tf from '@tensorflow/tfjs-core';
import { addInto, physicalChunks } from '../logical-batch.js';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { PrivacyLedger, calibrateNoiseMultiplier } from '../../accountant/index.js';
import { InvalidArgumentError } from '../../util/errors.js';
import { restoreSeededRandom, secureRandom, seededRandom, type RandomSource } from '../../util/random.js';
import { readJournal, writeJournal } from '../checkpoint.js';
import { privatizeGradient } from '../noise.js';
import { poissonSample } from '../sampler.js';
import { defaultDelta } from '../trainer.js';
import { readFitCheckpoint, restoreFitCheckpoint, writeFitCheckpoint, type FitSettings } from './checkpoint.js';
import { exactClippedChunk, fastClippedChunk, plainChunk, tapsPlainChunk, trainableVariables, type ChunkGradient } from './gradient.js';
import { validateModel } from './graph.js';
import { isCategorical, perExampleLoss, type LossName, type PerExampleLoss } from './losses.js';

/** What callbacks receive, Keras-style. Epsilon is in nats at the run's delta (Infinity without DP). */
export interface FitLogs {
  /** Mean per-example training loss of the epoch's batches (monitoring only, NOT private). */
  loss: number;
  epsilon: number;
  val_loss?: number;
  val_acc?: number;
}

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
}

function positive(v: number | undefined, what: string): void {
  if (v !== undefined && !(Number.isFinite(v) && v > 0)) throw new InvalidArgumentError(`${what} must be a positive number, got ${v}.`);
}

function asList(x: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
  return Array.isArray(x) ? x : [x];
}

/** Mean per-example loss and (for categorical losses) arg-max accuracy on held-out data. */
export function evaluateModel(model: LayersModel, x: tf.Tensor | tf.Tensor[], y: tf.Tensor, loss: PerExampleLoss, categorical: boolean, chunk = 512): { loss: number; acc?: number } {
  const xs = asList(x);
  const N = y.shape[0];
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < N; start += chunk) {
    const n = Math.min(chunk, N - start);
    tf.tidy(() => {
      const xi = xs.map((t) => tf.slice(t, start, n));
      const yi = tf.slice(y, start, n);
      const out = model.apply(xi.length === 1 ? xi[0]! : xi, { training: false }) as tf.Tensor;
      lossSum += tf.sum(loss(yi, out)).dataSync()[0]!;
      if (categorical) {
        const pred = tf.argMax(out, -1);
        const truth = yi.rank === out.rank ? (yi.shape[yi.rank - 1] === 1 ? tf.squeeze(yi, [yi.rank - 1]) : tf.argMax(yi, -1)) : yi;
        correct += tf.sum(tf.cast(tf.equal(pred, tf.cast(truth, 'int32')), 'float32')).dataSync()[0]! / (pred.size / n);
      }
    });
  }
  return categorical ? { loss: lossSum / N, acc: correct / N } : { loss: lossSum / N };
}

/**
 * Trains a user's tf.LayersModel (Sequential or functional) with DP-SGD, shaped like
 * model.fit. Each logical step: check the ledger (stop rather than exceed maxEpsilon) ->
 * Poisson-sample the logical batch (rate q = batchSize / N) -> for each chunk of at most
 * physicalBatchSize examples, per-example clipping by the layer rules (or the exact fallback)
 * and accumulation of the clipped sums -> ONE draw of N(0, sigma^2 C^2) noise -> division by the
 * expected batch size q N -> optimizer step -> ONE ledger charge. Privacy unit: one row of x.
 * Steps per epoch = ceil(1 / q). Weights are updated in place.
 */
export async function fitPrivately(model: LayersModel, x: tf.Tensor | tf.Tensor[], y: tf.Tensor, o: FitPrivatelyOptions): Promise<FitPrivatelyResult> {
  const warn = o.warn ?? ((m: string) => process.emitWarning(m));
  const xs = asList(x);
  const N = y.shape[0];
  if (N === 0) throw new InvalidArgumentError('there are no training examples.');
  for (const t of xs) if (t.shape[0] !== N) throw new InvalidArgumentError(`x has ${t.shape[0]} rows but y has ${N}.`);
  const isPrivate = o.private ?? true;
  positive(o.batchSize, 'batch size');
  positive(o.epochs, 'epochs');
  const physical = o.physicalBatchSize ?? 256;
  if (!(Number.isInteger(physical) && physical >= 1)) throw new InvalidArgumentError(`physical batch size must be an integer >= 1, got ${physical}.`);
  const q = o.batchSize / N;
  if (!(q > 0 && q <= 1)) throw new InvalidArgumentError(`batch size ${o.batchSize} must be at most the ${N} examples.`);
  const stepsPerEpoch = Math.ceil(1 / q);
  const totalSteps = Math.ceil(o.epochs * stepsPerEpoch);
  const delta = o.delta ?? defaultDelta(N);
  if (!(delta > 0 && delta < 1)) throw new InvalidArgumentError(`delta must be in (0, 1), got ${delta}.`);
  const loss = typeof o.loss === 'function' ? o.loss : perExampleLoss(o.loss, o.fromLogits ?? false);
  const categorical = isCategorical(o.loss);

  let sigma = 0;
  let clipNorm: number | null = null;
  let maxEpsilon: number | null = null;
  let mode: FitPrivatelyResult['mode'] = 'non-private';
  if (isPrivate) {
    if (o.clipNorm === undefined) throw new InvalidArgumentError('a private run needs clipNorm.');
    positive(o.clipNorm, 'clip norm');
    clipNorm = o.clipNorm;
    if ((o.noiseMultiplier === undefined) === (o.targetEpsilon === undefined)) throw new InvalidArgumentError('give either noiseMultiplier or targetEpsilon (exactly one).');
    positive(o.noiseMultiplier, 'noise multiplier');
    positive(o.targetEpsilon, 'target epsilon');
    positive(o.maxEpsilon, 'maximum epsilon');
    if (delta >= 1 / N) warn(`delta ${delta} is not below 1/N = ${1 / N}; such a delta allows leaking whole examples.`);
    sigma = o.noiseMultiplier ?? calibrateNoiseMultiplier({ targetEpsilon: o.targetEpsilon!, samplingRate: q, steps: totalSteps, delta }).noiseMultiplier;
    maxEpsilon = o.maxEpsilon ?? o.targetEpsilon ?? null;
    mode = validateModel(model, o.exactFallback ?? false);
    if (mode === 'exact') warn('some layers have no per-example clipping rule: every gradient is computed one example at a time (slow).');
  } else if (o.noiseMultiplier !== undefined || o.targetEpsilon !== undefined || o.clipNorm !== undefined) {
    throw new InvalidArgumentError('a non-private run takes no clip norm, noise multiplier or epsilon target.');
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
  const settings: FitSettings = { private: isPrivate, numExamples: N, samplingRate: q, noiseMultiplier: sigma, clipNorm, delta, totalSteps, maxEpsilon };
  const every = o.checkpointEvery ?? stepsPerEpoch;
  if (!(Number.isInteger(every) && every >= 1)) throw new InvalidArgumentError(`checkpoint interval must be an integer >= 1, got ${every}.`);

  let root: RandomSource = o.seed !== undefined ? seededRandom(o.seed) : secureRandom();
  let ledger: PrivacyLedger | null = isPrivate ? PrivacyLedger.empty() : null;
  const event = { samplingRate: q, noiseMultiplier: sigma, count: 1 };
  let step = 0;
  const ckPath = o.checkpointPath;
  const ck = o.resume && ckPath ? readFitCheckpoint(ckPath) : null;
  if (ck && ckPath) {
    const diff = (Object.keys(settings) as (keyof FitSettings)[]).find((k) => ck.settings[k] !== settings[k]);
    if (diff) throw new InvalidArgumentError(`cannot resume ${ckPath}: its ${diff} differs from this run's.`);
    if (ck.random.kind !== root.kind) throw new InvalidArgumentError(`cannot resume ${ckPath}: it was a ${ck.random.kind} run.`);
    await restoreFitCheckpoint(ck, model, o.optimizer, ckPath);
    step = ck.step;
    if (ck.random.state) root = restoreSeededRandom(ck.random.state);
    if (isPrivate) {
      ledger = PrivacyLedger.fromJSON(ck.ledger);
      // A secure run cannot replay steps lost after the checkpoint: charge every step that may have run.
      const started = root.kind === 'secure' ? readJournal(ckPath) : null;
      if (started !== null && started > step) {
        ledger = ledger.compose({ ...event, count: started - step });
        warn(`resuming after ${started - step} step(s) that ran but were not checkpointed; they are charged to the privacy ledger.`);
      }
    }
  }
  if (root.kind === 'seeded' && isPrivate) warn('seeded randomness: reproducible, but NOT a real privacy guarantee; omit the seed for secure noise.');

  const params = trainableVariables(model);
  const stableKey = new Map([...params.keys()].map((n, k) => [n, `weight-${String(k).padStart(4, '0')}`]));
  const nameOf = new Map([...stableKey].map(([n, k]) => [k, n]));
  const checkpoint = async (): Promise<void> => {
    if (!ckPath) return;
    await writeFitCheckpoint(ckPath, model, o.optimizer, {
      step, ledger: ledger ? ledger.toJSON() : null, random: { kind: root.kind, state: root.state() }, settings,
    });
  };

  const history: FitPrivatelyResult['history'] = { loss: [], epsilon: [], val_loss: [], val_acc: [] };
  let epsilon = ledger ? ledger.epsilon(delta).epsilon : Infinity;
  let stopReason: FitPrivatelyResult['stopReason'] = 'completed';
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

  while (step < totalSteps) {
    let next: PrivacyLedger | null = null;
    let nextEpsilon = Infinity;
    if (ledger) {
      next = ledger.compose(event);
      nextEpsilon = next.epsilon(delta).epsilon;
      if (maxEpsilon !== null && nextEpsilon > maxEpsilon) {
        stopReason = 'epsilon-budget';
        break;
      }
    }
    if (ckPath && root.kind === 'secure' && ledger) writeJournal(ckPath, step + 1);
    const idx = poissonSample(N, q, root.fork(`step-${step}/sample`));
    let acc: Map<string, tf.Tensor> | null = null;
    let lossSum = 0;
    for (const part of physicalChunks(idx, physical)) {
      const xb = xs.map((t) => tf.gather(t, part));
      const yb = tf.gather(y, part);
      let g: ChunkGradient;
      try {
        g = !isPrivate ? (plainMode === 'rules' ? tapsPlainChunk(model, xb, yb, loss) : plainChunk(model, xb, yb, loss)) : mode === 'fast' ? fastClippedChunk(model, xb, yb, loss, clipNorm!) : exactClippedChunk(model, xb, yb, loss, clipNorm!);
      } finally {
        tf.dispose([...xb, yb]);
      }
      lossSum += g.lossSum;
      acc = addInto(acc, g.sums);
    }
    // Every trainable weight gets noise, also one no example reached (an empty batch).
    const sums = new Map<string, tf.Tensor>();
    for (const [n, v] of params) sums.set(n, acc?.get(n) ?? tf.zerosLike(v));
    if (acc) tf.dispose([...acc].filter(([n]) => !params.has(n)).map(([, t]) => t));
    // Noise streams are keyed by the weight's position, not its tfjs name (which changes with every model instance), so a seeded run is reproducible.
    const keyed = new Map([...sums].map(([n, t]) => [stableKey.get(n)!, t]));
    const grads = privatizeGradient(keyed, { noiseMultiplier: sigma, clipNorm: clipNorm ?? 0, expectedBatchSize: q * N, step, random: root });
    o.optimizer.applyGradients(Object.fromEntries([...grads].map(([k, t]) => [nameOf.get(k)!, t])));
    tf.dispose([...grads.values()]);
    step += 1;
    if (next) {
      ledger = next;
      epsilon = nextEpsilon;
    }
    const batchLoss = idx.length > 0 ? lossSum / idx.length : NaN;
    if (idx.length > 0) {
      epochLoss += batchLoss;
      epochCount += 1;
    }
    if (step % every === 0 || step === totalSteps) await checkpoint();
    await o.callbacks?.onBatchEnd?.((step - 1) % stepsPerEpoch, { loss: batchLoss, epsilon, size: idx.length, step });
    if (step % stepsPerEpoch === 0 || step === totalSteps) await endEpoch(Math.ceil(step / stepsPerEpoch) - 1);
  }
  if (stopReason !== 'completed') {
    await checkpoint();
    if (epochCount > 0) await endEpoch(Math.floor(step / stepsPerEpoch));
  }
  const final: FitLogs = { loss: history.loss.at(-1) ?? NaN, epsilon };
  await o.callbacks?.onTrainEnd?.(final);
  return { history, epsilon, delta, noiseMultiplier: sigma, samplingRate: q, steps: step, stopReason, randomKind: root.kind, mode, ledger };
}
