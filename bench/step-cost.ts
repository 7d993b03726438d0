/**
 * What differential privacy costs per training step of one of dp-canary's language models,
 * measured side by side: a DP-SGD step (forward with taps, per-example norms by 'auto', clip
 * factors, the clipped sum, Gaussian noise from node:crypto, Adam) against a non-private step
 * (tfjs autodiff on the weights, same batch, same Adam). Times are medians of interleaved
 * repetitions; memory is the peak tensor bytes of one step (tf.profile) and the growth of
 * process RSS. Shared by the `dpsgd` (LSTM) and `dpsgd.transformer` benches.
 */
import * as tf from '@tensorflow/tfjs-core';
import { makeBatch } from '../src/dpsgd/data.js';
import { nonPrivateGradient, privateGradient } from '../src/dpsgd/gradient.js';
import { LanguageModel, type LanguageModelConfig } from '../src/dpsgd/model.js';
import { Optimizer } from '../src/dpsgd/optimizers.js';
import { secureRandom, seededRandom } from '../src/util/random.js';
import { median, timeInterleaved } from './timing.js';

/** The two steps' medians (ms), peak tensor bytes and RSS growth. */
export interface Row {
  ratio: number;
  dpMs: number;
  nonPrivateMs: number;
  memoryRatio: number;
  dpPeakBytes: number;
  nonPrivatePeakBytes: number;
  dpRssDeltaBytes: number;
  nonPrivateRssDeltaBytes: number;
  repetitions: number;
}

/** One model's DP and non-private steps at one batch size; `reps` interleaved repetitions of each. */
export async function measureStepCost(config: LanguageModelConfig, seqLen: number, batchSize: number, reps: number): Promise<Row> {
  const data = seededRandom('bench-data');
  const windows = Array.from({ length: batchSize }, () => Int32Array.from({ length: seqLen + 1 }, () => data.int(config.vocabSize)));
  const indices = Array.from({ length: batchSize }, (_, i) => i);
  const model = LanguageModel.create(config, seededRandom('bench-model'));
  const dpOpt = new Optimizer({ name: 'adam', learningRate: 1e-3 });
  const plainOpt = new Optimizer({ name: 'adam', learningRate: 1e-3 });
  const noise = secureRandom();
  let stepIndex = 0;

  const dpStep = (): void => {
    const batch = makeBatch(windows, indices, config.vocabSize);
    const g = privateGradient(model, batch, { clipNorm: 1, noiseMultiplier: 1, expectedBatchSize: batchSize, step: stepIndex++, random: noise });
    dpOpt.apply(model.params, g.grads);
    tf.dispose([batch.inputs, batch.targets, ...g.grads.values()]);
  };
  const plainStep = (): void => {
    const batch = makeBatch(windows, indices, config.vocabSize);
    const g = nonPrivateGradient(model, batch, batchSize);
    plainOpt.apply(model.params, g.grads);
    tf.dispose([batch.inputs, batch.targets, ...g.grads.values()]);
  };

  const rssDelta = (f: () => void): number => {
    const before = process.memoryUsage().rss;
    f();
    return Math.max(0, process.memoryUsage().rss - before);
  };

  // RSS first (cold heaps): one step each, non-private first so DP cannot reuse its growth.
  const plainRss = rssDelta(plainStep);
  const dpRss = rssDelta(dpStep);

  // Reading a weight forces any queued work to finish.
  const { dp, plain } = await timeInterleaved({ dp: dpStep, plain: plainStep }, reps, () => model.param('output/b').dataSync());
  // Peak tensor bytes last: tf.profile's bookkeeping would otherwise sit in the timed steps.
  const plainPeak = (await tf.profile(plainStep)).peakBytes;
  const dpPeak = (await tf.profile(dpStep)).peakBytes;
  dpOpt.dispose();
  plainOpt.dispose();
  model.dispose();
  console.log(`  batch ${batchSize} reps (ms): DP ${dp.map((x) => x.toFixed(0)).join(" ")} / non-private ${plain.map((x) => x.toFixed(0)).join(" ")}`);
  const dpMs = median(dp);
  const nonPrivateMs = median(plain);
  return {
    ratio: dpMs / nonPrivateMs,
    dpMs,
    nonPrivateMs,
    memoryRatio: dpPeak / plainPeak,
    dpPeakBytes: dpPeak,
    nonPrivatePeakBytes: plainPeak,
    dpRssDeltaBytes: dpRss,
    nonPrivateRssDeltaBytes: plainRss,
    repetitions: reps,
  };
}

