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
import { initBackend } from '../src/dpsgd/backend.js';
import { measureStepCost } from './step-cost.js';

export const name = 'dpsgd';

const CONFIG = { vocabSize: 64, embeddingDim: 32, hiddenSize: 128, layers: 1, cell: 'lstm' as const, dropout: 0 };
const SEQ = 50;

export async function run(): Promise<Record<string, unknown>> {
  const backend = await initBackend();
  console.log(`backend: ${backend.name} (${backend.reason})`);
  const out: Record<string, unknown> = { backend: backend.name, model: { ...CONFIG, seqLen: SEQ } };
  for (const [key, B, reps] of [['batch32', 32, 7], ['batch256', 256, 5]] as const) {
    const row = await measureStepCost(CONFIG, SEQ, B, reps);
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
