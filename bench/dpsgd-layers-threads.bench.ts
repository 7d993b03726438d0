/**
 * `npm run bench -- dpsgd.layers.threads`: fitPrivately's DP step on a user's tf.LayersModel
 * with threads: 1 against threads: 2 (UserModelPool: each worker rebuilds the model and clips
 * half of the logical batch; noise, Adam and the ledger stay in the caller), side by side.
 * Model: Dense 784-512 relu, Dense 512-256 relu, Dense 10 softmax (MNIST-sized MLP, 535k
 * weights); 4,096 rows, expected batch 512 (q = 1/8), physical batch 256, so each worker runs
 * one chunk of about 256. A step's time is the gap between consecutive onBatchEnd calls (sampling,
 * clipping, noise, Adam, ledger); each run takes 6 steps and its first is left out (warm-up);
 * runs alternate between the two thread counts. The pool's start-up (workers rebuild the model)
 * is reported apart: a run pays it once.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../src/dpsgd/backend.js';
import { fitPrivately } from '../src/dpsgd/user-model/fit.js';
import { seededRandom } from '../src/util/random.js';
import { median } from './timing.js';

export const name = 'dpsgd.layers.threads';

const N = 4096;
const BATCH = 512;
const STEPS = 6;

function mlp(): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.dense({ units: 512, activation: 'relu', inputShape: [784] }),
      tfl.layers.dense({ units: 256, activation: 'relu' }),
      tfl.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
}

/** One fitPrivately run of STEPS steps: the step times after the first, and its whole wall time, ms. */
async function timedRun(x: tf.Tensor, y: tf.Tensor, threads: number): Promise<{ stepMs: number[]; wallMs: number }> {
  const model = mlp();
  const marks: number[] = [];
  const t0 = performance.now();
  await fitPrivately(model, x, y, {
    loss: 'sparseCategoricalCrossentropy', optimizer: tf.train.adam(1e-3), epochs: (STEPS * BATCH) / N, batchSize: BATCH,
    physicalBatchSize: 256, clipNorm: 1, noiseMultiplier: 1, threads, seed: 'bench', warn: () => undefined,
    callbacks: { onBatchEnd: () => void marks.push(performance.now()) },
  });
  const wallMs = performance.now() - t0;
  model.dispose();
  return { stepMs: marks.slice(1).map((m, i) => m - marks[i]!), wallMs };
}

export async function run(): Promise<Record<string, unknown>> {
  const backend = await initBackend();
  const r = seededRandom('bench-layers-threads');
  const x = tf.tensor2d(Float32Array.from({ length: N * 784 }, () => r.uniform()), [N, 784]);
  const y = tf.tensor1d(Int32Array.from({ length: N }, () => r.int(10)), 'int32');
  const rounds = Number(process.env['BENCH_REPS'] ?? 3);
  const steps: Record<'1' | '2', number[]> = { '1': [], '2': [] };
  const walls: Record<'1' | '2', number[]> = { '1': [], '2': [] };
  for (let k = 0; k < rounds; k++) {
    const order: readonly ('1' | '2')[] = k % 2 === 0 ? ['1', '2'] : ['2', '1'];
    for (const t of order) {
      const got = await timedRun(x, y, Number(t));
      steps[t].push(...got.stepMs);
      walls[t].push(got.wallMs);
    }
  }
  tf.dispose([x, y]);
  const one = median(steps['1']);
  const two = median(steps['2']);
  // Start-up of the pool: what a 2-thread run costs beyond its steps, against the 1-thread run's overhead.
  const overhead = (t: '1' | '2', stepMs: number) => median(walls[t]) - STEPS * stepMs;
  const poolOpenMs = overhead('2', two) - overhead('1', one);
  const speedup = one / two;
  console.log(`backend ${backend.name}; MLP 784-512-256-10, expected batch ${BATCH}, physical 256; ${rounds} runs of ${STEPS} steps per thread count`);
  console.log(`DP step: 1 thread ${one.toFixed(0)} ms, 2 threads ${two.toFixed(0)} ms: speed-up ${speedup.toFixed(2)}x; pool start-up about ${poolOpenMs.toFixed(0)} ms per run`);
  return { backend: backend.name, batchSize: BATCH, physicalBatchSize: 256, oneThreadMs: one, twoThreadsMs: two, speedup, poolOpenMs, steps: steps['1'].length };
}
