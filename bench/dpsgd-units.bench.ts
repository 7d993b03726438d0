/**
 * `npm run bench -- dpsgd.units`: what a privacy unit larger than a window costs per DP-SGD step.
 * One model (the default study's: embedding 32, one LSTM layer of 128, vocabulary 64, windows of
 * 65 tokens), one logical step through logicalBatchGradient with the study's physical batch of
 * 256 rows, noise included, no optimizer. For U units of m windows each, the unit step (taps
 * regrouped [T, U m, P] -> [m T, U, P], every unit's norm and clipped sum) is timed against a
 * window-level step over the same U m rows; a third kind has units of 1..m windows (mean m/2 + 1/2),
 * padded to the most windows in each pass. Medians of interleaved repetitions (2 shared cores:
 * expect noise).
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/dpsgd/backend.js';
import { logicalBatchGradient, type LogicalStepOptions } from '../src/dpsgd/logical-batch.js';
import { LanguageModel } from '../src/dpsgd/model.js';
import { secureRandom, seededRandom } from '../src/util/random.js';
import { median, timeInterleaved } from './timing.js';

export const name = 'dpsgd.units';

const CONFIG = { vocabSize: 64, embeddingDim: 32, hiddenSize: 128, layers: 1, cell: 'lstm' as const, dropout: 0 };
const SEQ = 64;

interface Row {
  units: number;
  windowsPerUnit: number;
  rows: number;
  windowMs: number;
  unitMs: number;
  ratio: number;
  /** Units of 1..m windows: real rows, and the step's time. */
  mixedRows: number;
  mixedMs: number;
  repetitions: number;
}

async function measure(U: number, m: number, reps: number): Promise<Row> {
  const data = seededRandom('bench-units-data');
  const rows = U * m;
  const windows = Array.from({ length: rows }, () => Int32Array.from({ length: SEQ + 1 }, () => data.int(CONFIG.vocabSize)));
  const all = Int32Array.from({ length: rows }, (_, i) => i);
  const mixedSizes = Int32Array.from({ length: U }, () => 1 + data.int(m));
  const mixedRows = mixedSizes.reduce((a, b) => a + b, 0);
  const model = LanguageModel.create(CONFIG, seededRandom('bench-units-model'));
  const noise = secureRandom();
  let t = 0;
  const options = (expected: number): LogicalStepOptions => ({
    privacy: { kind: 'dp', clipNorm: 1, noiseMultiplier: 1 }, physicalBatchSize: 256, expectedBatchSize: expected, step: t++, random: noise,
  });
  const step = (indices: Int32Array, o: LogicalStepOptions): void => {
    const g = logicalBatchGradient(model, windows, indices, o);
    tf.dispose([...g.grads.values()]);
  };
  const kinds = {
    window: () => step(all, options(rows)),
    unit: () => step(all, { ...options(U), unitSizes: new Int32Array(U).fill(m) }),
    mixed: () => step(all.subarray(0, mixedRows), { ...options(U), unitSizes: mixedSizes }),
  };
  const times = await timeInterleaved(kinds, reps, () => model.param('output/b').dataSync());
  model.dispose();
  const windowMs = median(times.window);
  const unitMs = median(times.unit);
  return { units: U, windowsPerUnit: m, rows, windowMs, unitMs, ratio: unitMs / windowMs, mixedRows, mixedMs: median(times.mixed), repetitions: reps };
}

export async function run(): Promise<Record<string, unknown>> {
  const backend = await initBackend();
  console.log(`backend: ${backend.name} (${backend.reason})`);
  const out: Record<string, unknown> = { backend: backend.name, model: { ...CONFIG, seqLen: SEQ }, physicalBatchSize: 256 };
  for (const [U, m, reps] of [[64, 1, 5], [64, 4, 5], [32, 8, 5], [64, 8, 3]] as const) {
    const row = await measure(U, m, reps);
    out[`u${U}m${m}`] = row;
    console.log(
      `${U} units x ${m} windows (${row.rows} rows): unit step ${row.unitMs.toFixed(0)} ms, window step over the same rows ${row.windowMs.toFixed(0)} ms, ` +
        `ratio ${row.ratio.toFixed(2)}; units of 1..${m} windows (${row.mixedRows} real rows, padded): ${row.mixedMs.toFixed(0)} ms`,
    );
  }
  return out;
}
