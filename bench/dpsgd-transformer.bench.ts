/**
 * `npm run bench -- dpsgd.transformer`: what differential privacy costs per training step of
 * the transformer (2 blocks of width 128, 4 heads, FFN 512, vocabulary 64, sequence 64, batch
 * 64), side by side in one run: a DP-SGD step (forward with taps, per-example norms by 'auto',
 * clip factors, clipped sum, Gaussian noise, Adam) against a non-private step (tfjs autodiff on
 * the weights, same batch, same Adam). Times are medians of interleaved repetitions; memory is
 * the peak tensor bytes of one step (tf.profile). Targets: time ratio <= 1.3, memory <= 1.5.
 */
import { initBackend } from '../src/dpsgd/backend.js';
import type { LanguageModelConfig } from '../src/dpsgd/model.js';
import { measureStepCost } from './step-cost.js';

export const name = 'dpsgd.transformer';

const SEQ = 64;
const BATCH = 64;
const CONFIG: LanguageModelConfig = { vocabSize: 64, embeddingDim: 128, hiddenSize: 128, layers: 2, cell: 'transformer', heads: 4, ffnSize: 512, maxLength: SEQ, dropout: 0 };
const REPS = Number(process.env.BENCH_REPS ?? 5);

export async function run(): Promise<Record<string, unknown>> {
  const backend = await initBackend();
  console.log(`backend: ${backend.name} (${backend.reason})`);
  const row = await measureStepCost(CONFIG, SEQ, BATCH, REPS);
  const mb = (x: number): string => (x / 2 ** 20).toFixed(1);
  console.log(
    `transformer batch ${BATCH}: DP ${row.dpMs.toFixed(1)} ms, non-private ${row.nonPrivateMs.toFixed(1)} ms, time ratio ${row.ratio.toFixed(2)} (target <= 1.3); ` +
      `peak tensors ${mb(row.dpPeakBytes)} vs ${mb(row.nonPrivatePeakBytes)} MiB, memory ratio ${row.memoryRatio.toFixed(2)} (target <= 1.5)`,
  );
  return { backend: backend.name, model: { ...CONFIG, seqLen: SEQ, batchSize: BATCH }, ...row };
}
