/**
 * The generic slow path: DP-SGD for any tf.LayersModel from @tensorflow/tfjs-layers, computing
 * one gradient per example (B backward passes per step). Use it for architectures the fast
 * path (./clipping.ts, ghost norms over taps) does not cover; it is typically 10-100x slower.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { PrivacyLedger } from '../accountant/index.js';
import { InvalidArgumentError } from '../util/errors.js';
import type { RandomSource } from '../util/random.js';
import { privatizeGradient } from './noise.js';
import { exactClippedChunk } from './user-model/gradient.js';
import { Optimizer, type OptimizerConfig } from './optimizers.js';
import { runStepLoop } from './step-loop.js';

/** Loss of ONE example (a batch of one row): a scalar. */
export type ExampleLoss = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Scalar;

let warned = false;

function warnSlow(warn: (m: string) => void): void {
  if (warned) return;
  warned = true;
  warn('DP-SGD on a generic tf.LayersModel computes one gradient per example: expect it to be 10-100x slower than the built-in language models.');
}

/** The model's trainable variables by weight name. */
export function layersModelParams(model: LayersModel): Map<string, tf.Variable> {
  return new Map(model.trainableWeights.map((w) => [w.name, w.read() as tf.Variable]));
}

/**
 * Private gradient for a tf.LayersModel: for each example i (row i of x and y), the gradient
 * of loss(y_i, model(x_i)) by tfjs autodiff, clipped to L2 norm C over all trainable weights;
 * the clipped sum + N(0, sigma^2 C^2) is divided by expectedBatchSize (see privatizeGradient).
 * x and y may have 0 rows (a noise-only step). Returns per-example norms before clipping.
 */
export function layersModelPrivateGradient(
  model: LayersModel,
  x: tf.Tensor,
  y: tf.Tensor,
  loss: ExampleLoss,
  o: { clipNorm: number; noiseMultiplier: number; expectedBatchSize: number; step: number; random: RandomSource; warn?: (m: string) => void },
): { grads: Map<string, tf.Tensor>; norms: Float32Array; lossSum: number } {
  warnSlow(o.warn ?? ((m) => process.emitWarning(m)));
  // fitPrivately's exact path, one backward pass per example; its sums are keyed by variable
  // name, which this API (and its noise streams) keys by weight name.
  const c = exactClippedChunk(model, [x], y, (yTrue, yPred) => loss(yTrue, yPred) as tf.Tensor as tf.Tensor1D, o.clipNorm);
  const weightName = new Map(model.trainableWeights.map((w) => [(w.read() as tf.Variable).name, w.name]));
  const sums = new Map([...c.sums].map(([n, t]) => [weightName.get(n)!, t]));
  return { grads: privatizeGradient(sums, o), norms: c.norms, lossSum: c.lossSum };
}

/**
 * Train a tf.LayersModel with DP-SGD (Poisson sampling with rate q, per-example clipping,
 * Gaussian noise, the given optimizer) for `steps` steps, composing each step into the ledger.
 * The privacy unit is one row of x/y. Stops before a step that would exceed maxEpsilon.
 */
export async function trainLayersModelPrivately(
  model: LayersModel,
  x: tf.Tensor,
  y: tf.Tensor,
  o: {
    loss: ExampleLoss;
    samplingRate: number;
    steps: number;
    clipNorm: number;
    noiseMultiplier: number;
    delta: number;
    optimizer: OptimizerConfig;
    random: RandomSource;
    maxEpsilon?: number;
    ledger?: PrivacyLedger;
    onStep?: (r: { step: number; loss: number; epsilon: number; batchSize: number }) => void | Promise<void>;
    warn?: (m: string) => void;
  },
): Promise<{ ledger: PrivacyLedger; steps: number; epsilon: number }> {
  const N = x.shape[0];
  if (y.shape[0] !== N) throw new InvalidArgumentError(`x has ${N} rows but y has ${y.shape[0]}.`);
  if (!(o.samplingRate > 0 && o.samplingRate <= 1)) throw new InvalidArgumentError(`sampling rate must be in (0, 1], got ${o.samplingRate}.`);
  if (!(o.clipNorm > 0) || !(o.noiseMultiplier > 0)) throw new InvalidArgumentError('clip norm and noise multiplier must be positive.');
  const optimizer = new Optimizer(o.optimizer);
  const params = layersModelParams(model);
  const event = { samplingRate: o.samplingRate, noiseMultiplier: o.noiseMultiplier, count: 1 };
  try {
    const run = await runStepLoop({
      numExamples: N, samplingRate: o.samplingRate, totalSteps: o.steps, random: o.random,
      privacy: {
        event, delta: o.delta, ledger: o.ledger ?? PrivacyLedger.empty(),
        budget: o.maxEpsilon !== undefined ? { kind: 'epsilon', maxEpsilon: o.maxEpsilon } : null,
      },
      // One gradient per example of the gathered rows, clipped and noised, then the update.
      takeStep: (step, idx) => {
        const xb = tf.gather(x, Array.from(idx));
        const yb = tf.gather(y, Array.from(idx));
        const g = layersModelPrivateGradient(model, xb, yb, o.loss, {
          clipNorm: o.clipNorm, noiseMultiplier: o.noiseMultiplier, expectedBatchSize: o.samplingRate * N, step, random: o.random, warn: o.warn,
        });
        tf.dispose([xb, yb]);
        optimizer.apply(params, g.grads);
        tf.dispose([...g.grads.values()]);
        return g.lossSum;
      },
      report: (lossSum, done) => o.onStep?.({ step: done.step, loss: done.batchSize > 0 ? lossSum / done.batchSize : NaN, epsilon: done.epsilon, batchSize: done.batchSize }),
    });
    return { ledger: run.ledger!, steps: run.steps, epsilon: run.epsilon };
  } finally {
    optimizer.dispose();
  }
}

/** For tests: forget that the slow-path warning was shown. */
export function resetSlowPathWarning(): void {
  warned = false;
}
