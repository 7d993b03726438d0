/**
 * `npm run bench -- dpsgd.units`: what a privacy unit larger than a window costs per DP-SGD step.
 * One model (the default study's: embedding 32, one LSTM layer of 128, vocabulary 64, windows of
 * 65 tokens), one logical step through logicalBatchGradient with the study's physical batch of
 * 256 rows, noise included, no optimizer. For U units of m windows each, the unit step (taps
 * regrouped [T, U m, P] -> [m T, U, P], every unit's norm and clipped sum) is timed against a
 * window-level step over the same U m rows; a third kind has units of 1..m windows (mean m/2 + 1/2),
 * most first as a step's draw orders them, each pass padded to its largest unit. Medians of interleaved repetitions of the process's
 * CPU time per step (wasm runs in this one thread, so CPU time is the step's compute even on a
 * shared, loaded machine) and of wall time.
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
  /** CPU ms per step (medians). */
  windowMs: number;
  unitMs: number;
  ratio: number;
  /** Units of 1..m windows: real rows, and the step's CPU ms. */
  mixedRows: number;
  mixedMs: number;
  /** Wall ms per step (medians; inflated when the machine is shared). */
  wallMs: { window: number; unit: number; mixed: number };
  repetitions: number;
}

/** CPU ms (user + system) of this process while f runs. */
function cpuMs(f: () => void): number {
  const t0 = process.cpuUsage();
  f();
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / 1000;
}

async function measure(U: number, m: number, reps: number): Promise<Row> {
  const data = seededRandom('bench-units-data');
  const rows = U * m;
  const windows = Array.from({ length: rows }, () => Int32Array.from({ length: SEQ + 1 }, () => data.int(CONFIG.vocabSize)));
  const all = Int32Array.from({ length: rows }, (_, i) => i);
  // Sorted, most windows first, as drawUnitExamples hands them to the step.
  const mixedSizes = Int32Array.from({ length: U }, () => 1 + data.int(m)).sort().reverse();
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
  // Each timed call records its own CPU time too (reading a weight waits for queued work).
  const cpu = { window: [] as number[], unit: [] as number[], mixed: [] as number[] };
  const settled = (k: keyof typeof kinds) => (): void => {
    cpu[k].push(cpuMs(() => {
      kinds[k]();
      model.param('output/b').dataSync();
    }));
  };
  const timed = { window: settled('window'), unit: settled('unit'), mixed: settled('mixed') };
  const wall = await timeInterleaved(timed, reps);
  model.dispose();
  // The warm-up call is the first of each CPU list.
  const med = (xs: number[]): number => median(xs.slice(1));
  const windowMs = med(cpu.window);
  const unitMs = med(cpu.unit);
  return {
    units: U, windowsPerUnit: m, rows, windowMs, unitMs, ratio: unitMs / windowMs, mixedRows, mixedMs: med(cpu.mixed),
    wallMs: { window: median(wall.window), unit: median(wall.unit), mixed: median(wall.mixed) }, repetitions: reps,
  };
}

export async function run(): Promise<Record<string, unknown>> {
  const backend = await initBackend();
  console.log(`backend: ${backend.name} (${backend.reason})`);
  const out: Record<string, unknown> = { backend: backend.name, model: { ...CONFIG, seqLen: SEQ }, physicalBatchSize: 256 };
  for (const [U, m, reps] of [[64, 1, 5], [64, 4, 5], [32, 8, 5], [64, 8, 3]] as const) {
    const row = await measure(U, m, reps);
    out[`u${U}m${m}`] = row;
    console.log(
      `${U} units x ${m} windows (${row.rows} rows), CPU ms per step: unit step ${row.unitMs.toFixed(0)}, window step over the same rows ${row.windowMs.toFixed(0)}, ` +
        `ratio ${row.ratio.toFixed(2)}; units of 1..${m} windows (${row.mixedRows} real rows, padded): ${row.mixedMs.toFixed(0)} ` +
        `(wall ms ${row.wallMs.unit.toFixed(0)} / ${row.wallMs.window.toFixed(0)} / ${row.wallMs.mixed.toFixed(0)})`,
    );
  }
  return out;
}
