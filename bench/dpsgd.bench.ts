/**
 * `npm run bench -- dpsgd`: what differential privacy costs per training step, measured side
 * by side in one run on one model (embedding 32, one LSTM layer of 128, vocabulary 64,
 * sequence 50): a DP-SGD step (forward with taps, per-example norms by the 'auto' method, which
 * picks ghost norms or per-example gradients per weight, whichever is cheaper and fits, clip
 * factors, the clipped sum, Gaussian noise from node:crypto, Adam update) against a
 * non-private step (tfjs autodiff on the weights, same batch, same Adam update), at batch 32
 * and 256. Times are medians of interleaved repetitions (2 shared cores: expect noise).
 * Memory: peak tensor bytes during one step (tf.profile's peakBytes; for the same step it
 * counts every live tensor, including the model) and the growth of process RSS.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/dpsgd/backend.js';
import { makeBatch } from '../src/dpsgd/data.js';
import { nonPrivateGradient, privateGradient } from '../src/dpsgd/gradient.js';
import { LanguageModel } from '../src/dpsgd/model.js';
import { Optimizer } from '../src/dpsgd/optimizers.js';
import { secureRandom, seededRandom } from '../src/util/random.js';
import { median, timeInterleaved } from './timing.js';

export const name = 'dpsgd';

const CONFIG = { vocabSize: 64, embeddingDim: 32, hiddenSize: 128, layers: 1, cell: 'lstm' as const, dropout: 0 };
const SEQ = 50;

interface Row {
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

async function measure(batchSize: number, reps: number): Promise<Row> {
  const data = seededRandom('bench-data');
  const windows = Array.from({ length: batchSize }, () => Int32Array.from({ length: SEQ + 1 }, () => data.int(CONFIG.vocabSize)));
  const indices = Array.from({ length: batchSize }, (_, i) => i);
  const model = LanguageModel.create(CONFIG, seededRandom('bench-model'));
  const dpOpt = new Optimizer({ name: 'adam', learningRate: 1e-3 });
  const plainOpt = new Optimizer({ name: 'adam', learningRate: 1e-3 });
  const noise = secureRandom();
  let stepIndex = 0;

  const dpStep = (): void => {
    const batch = makeBatch(windows, indices, CONFIG.vocabSize);
    const g = privateGradient(model, batch, { clipNorm: 1, noiseMultiplier: 1, expectedBatchSize: batchSize, step: stepIndex++, random: noise });
    dpOpt.apply(model.params, g.grads);
    tf.dispose([batch.inputs, batch.targets, ...g.grads.values()]);
  };
  const plainStep = (): void => {
    const batch = makeBatch(windows, indices, CONFIG.vocabSize);
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

export async function run(): Promise<Record<string, unknown>> {
  const backend = await initBackend();
  console.log(`backend: ${backend.name} (${backend.reason})`);
  const out: Record<string, unknown> = { backend: backend.name, model: { ...CONFIG, seqLen: SEQ } };
  for (const [key, B, reps] of [['batch32', 32, 7], ['batch256', 256, 5]] as const) {
    const row = await measure(B, reps);
    out[key] = row;
    const mb = (x: number): string => (x / 2 ** 20).toFixed(1);
    console.log(
      `batch ${B}: DP ${row.dpMs.toFixed(1)} ms, non-private ${row.nonPrivateMs.toFixed(1)} ms, time ratio ${row.ratio.toFixed(2)} (target <= 1.2); ` +
        `peak tensors ${mb(row.dpPeakBytes)} vs ${mb(row.nonPrivatePeakBytes)} MiB, memory ratio ${row.memoryRatio.toFixed(2)} (target <= 1.3); ` +
        `RSS growth ${mb(row.dpRssDeltaBytes)} vs ${mb(row.nonPrivateRssDeltaBytes)} MiB`,
    );
  }
  return out;
}
