/**
 * `npm run bench -- dpsgd.transformer`: what differential privacy costs per training step of
 * the transformer (2 blocks of width 128, 4 heads, FFN 512, vocabulary 64, sequence 64, batch
 * 64), side by side in one run: a DP-SGD step (forward with taps, per-example norms by 'auto',
 * clip factors, clipped sum, Gaussian noise, Adam) against a non-private step (tfjs autodiff on
 * the weights, same batch, same Adam). Times are medians of interleaved repetitions; memory is
 * the peak tensor bytes of one step (tf.profile). Targets: time ratio <= 1.3, memory <= 1.5.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/dpsgd/backend.js';
import { makeBatch } from '../src/dpsgd/data.js';
import { nonPrivateGradient, privateGradient } from '../src/dpsgd/gradient.js';
import { LanguageModel, type LanguageModelConfig } from '../src/dpsgd/model.js';
import { Optimizer } from '../src/dpsgd/optimizers.js';
import { secureRandom, seededRandom } from '../src/util/random.js';
import { median, timeInterleaved } from './timing.js';

export const name = 'dpsgd.transformer';

const SEQ = 64;
const BATCH = 64;
const CONFIG: LanguageModelConfig = { vocabSize: 64, embeddingDim: 128, hiddenSize: 128, layers: 2, cell: 'transformer', heads: 4, ffnSize: 512, maxLength: SEQ, dropout: 0 };
const REPS = Number(process.env.BENCH_REPS ?? 5);

export async function run(): Promise<Record<string, unknown>> {
  const backend = await initBackend();
  console.log(`backend: ${backend.name} (${backend.reason})`);
  const data = seededRandom('bench-data');
  const windows = Array.from({ length: BATCH }, () => Int32Array.from({ length: SEQ + 1 }, () => data.int(CONFIG.vocabSize)));
  const indices = Array.from({ length: BATCH }, (_, i) => i);
  const model = LanguageModel.create(CONFIG, seededRandom('bench-model'));
  const dpOpt = new Optimizer({ name: 'adam', learningRate: 1e-3 });
  const plainOpt = new Optimizer({ name: 'adam', learningRate: 1e-3 });
  const noise = secureRandom();
  let stepIndex = 0;
  const dpStep = (): void => {
    const batch = makeBatch(windows, indices, CONFIG.vocabSize);
    const g = privateGradient(model, batch, { clipNorm: 1, noiseMultiplier: 1, expectedBatchSize: BATCH, step: stepIndex++, random: noise });
    dpOpt.apply(model.params, g.grads);
    tf.dispose([batch.inputs, batch.targets, ...g.grads.values()]);
  };
  const plainStep = (): void => {
    const batch = makeBatch(windows, indices, CONFIG.vocabSize);
    const g = nonPrivateGradient(model, batch, BATCH);
    plainOpt.apply(model.params, g.grads);
    tf.dispose([batch.inputs, batch.targets, ...g.grads.values()]);
  };
  const { dp, plain } = await timeInterleaved({ dp: dpStep, plain: plainStep }, REPS, () => model.param('output/b').dataSync());
  const plainPeak = (await tf.profile(plainStep)).peakBytes;
  const dpPeak = (await tf.profile(dpStep)).peakBytes;
  dpOpt.dispose();
  plainOpt.dispose();
  model.dispose();
  const dpMs = median(dp);
  const nonPrivateMs = median(plain);
  const mb = (x: number): string => (x / 2 ** 20).toFixed(1);
  console.log(`  reps (ms): DP ${dp.map((x) => x.toFixed(0)).join(' ')} / non-private ${plain.map((x) => x.toFixed(0)).join(' ')}`);
  console.log(
    `transformer batch ${BATCH}: DP ${dpMs.toFixed(1)} ms, non-private ${nonPrivateMs.toFixed(1)} ms, time ratio ${(dpMs / nonPrivateMs).toFixed(2)} (target <= 1.3); ` +
      `peak tensors ${mb(dpPeak)} vs ${mb(plainPeak)} MiB, memory ratio ${(dpPeak / plainPeak).toFixed(2)} (target <= 1.5)`,
  );
  return {
    backend: backend.name,
    model: { ...CONFIG, seqLen: SEQ, batchSize: BATCH },
    ratio: dpMs / nonPrivateMs,
    dpMs,
    nonPrivateMs,
    memoryRatio: dpPeak / plainPeak,
    dpPeakBytes: dpPeak,
    nonPrivatePeakBytes: plainPeak,
    repetitions: REPS,
  };
}
