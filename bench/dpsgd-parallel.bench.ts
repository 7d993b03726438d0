/**
 * `npm run bench -- dpsgd.parallel`: data-parallel DP-SGD on worker threads against one thread,
 * side by side in one run, on the `dpsgd` bench model (embedding 32, one LSTM layer of 128,
 * vocabulary 64, sequence 50). A step = the logical batch's gradient (clipped sums + noise for
 * DP, plain gradient otherwise) and the Adam update, as train() runs it: in this thread
 * (logicalBatchGradient) or cut across W worker threads (DataParallelPool, W = the cores
 * available). Batch 512 is two physical chunks of 256 (the default physical size), so each
 * worker gets one whole chunk. Medians of interleaved repetitions; the pool is opened once
 * beforehand (its start-up is reported apart: a run pays it once).
 */
import * as tf from '@tensorflow/tfjs-core';
import { availableParallelism } from 'node:os';
import { initBackend } from '../src/dpsgd/backend.js';
import { accumulateParts, logicalBatchGradient, type LogicalStepOptions } from '../src/dpsgd/logical-batch.js';
import { shardBatch } from '../src/dpsgd/parallel/shard.js';
import { LanguageModel } from '../src/dpsgd/model.js';
import { Optimizer } from '../src/dpsgd/optimizers.js';
import { DataParallelPool } from '../src/dpsgd/parallel/pool.js';
import type { StepGradient } from '../src/dpsgd/gradient.js';
import { secureRandom, seededRandom } from '../src/util/random.js';
import { median, timeInterleaved } from './timing.js';

export const name = 'dpsgd.parallel';

const CONFIG = { vocabSize: 64, embeddingDim: 32, hiddenSize: 128, layers: 1, cell: 'lstm' as const, dropout: 0 };
const SEQ = 50;
const EXAMPLES = 4096;

export async function run(): Promise<Record<string, unknown>> {
  const backend = await initBackend();
  const threads = availableParallelism();
  console.log(`backend ${backend.name}; ${threads} thread(s) against 1`);
  if (threads < 2) return { backend: backend.name, threads, note: 'one core: nothing to compare' };
  const data = seededRandom('bench-parallel-data');
  const examples = Array.from({ length: EXAMPLES }, () => Int32Array.from({ length: SEQ + 1 }, () => data.int(CONFIG.vocabSize)));
  const model = LanguageModel.create(CONFIG, seededRandom('bench-model'));
  const t0 = performance.now();
  const pool = await DataParallelPool.open({ threads, config: CONFIG, examples });
  const poolOpenSeconds = (performance.now() - t0) / 1000;
  console.log(`pool of ${threads} workers ready in ${poolOpenSeconds.toFixed(2)} s`);
  const out: Record<string, unknown> = { backend: backend.name, threads, poolOpenSeconds, model: { ...CONFIG, seqLen: SEQ } };
  try {
    for (const [key, B, reps] of [['batch32', 32, 11], ['batch256', 256, 7], ['batch512', 512, 5]] as const) {
      const indices = Int32Array.from({ length: B }, (_, i) => (i * 13) % EXAMPLES);
      const opt = new Optimizer({ name: 'adam', learningRate: 1e-3 });
      const noise = secureRandom();
      let step = 0;
      const options = (dp: boolean): LogicalStepOptions => ({
        privacy: dp ? { kind: 'dp', clipNorm: 1, noiseMultiplier: 1 } : { kind: 'none' },
        physicalBatchSize: 256, expectedBatchSize: B, step: step++, random: noise,
      });
      const passA = Math.min(256, Math.ceil(B / threads));
      const passB = Math.ceil(passA / 2);
      const applyMs: number[] = [];
      const apply = (g: StepGradient): void => {
        const s = performance.now();
        opt.apply(model.params, g.grads);
        tf.dispose([...g.grads.values()]);
        model.param('output/b').dataSync();
        applyMs.push(performance.now() - s);
      };
      const timings: { coordinatorMs: number; slowestWorkerMs: number; messagingMs: number }[] = [];
      // A worker's own job, in this thread: the clipped sum of b examples (no noise, no update).
      const work = (b: number): void => {
        const parts = shardBatch(indices.subarray(0, b), 256, 1)[0]!;
        const p = accumulateParts(model, examples, parts, options(true));
        if (p.sums) tf.dispose([...p.sums.values()]);
      };
      const kinds = {
        oneDp: async () => apply(logicalBatchGradient(model, examples, indices, options(true))),
        oneNonPrivate: async () => apply(logicalBatchGradient(model, examples, indices, options(false))),
        parallelDp: async () => {
          apply(await pool.gradient(model, examples, indices, options(true)));
          timings.push(pool.lastStepTimings!);
        },
        // Two pass sizes (at most the physical 256) fit the model of one pass below.
        workShare: async () => work(passA),
        workHalf: async () => work(passB),
        parallelNonPrivate: async () => apply(await pool.gradient(model, examples, indices, options(false))),
      };
      const times = await timeInterleaved(kinds, reps);
      const names = Object.keys(kinds) as (keyof typeof kinds)[];
      opt.dispose();
      const m = Object.fromEntries(names.map((k) => [k, median(times[k])])) as Record<keyof typeof kinds, number>;
      // Where a data-parallel step's time goes, and what that implies for more cores (a model, not a measurement):
      // one pass of n <= 256 examples costs fixed + perExample * n; a worker runs ceil(share / 256) passes; the serial
      // part (coordinator + optimizer) and messaging do not shrink with more workers.
      const serialMs = median(timings.map((t) => t.coordinatorMs)) + median(applyMs);
      const messagingMs = median(timings.map((t) => t.messagingMs));
      const perExampleMs = (m.workShare - m.workHalf) / (passA - passB);
      const fixedMs = m.workShare - perExampleMs * passA;
      const workerMs = (w: number): number => {
        const share = Math.ceil(B / w);
        const passes = Math.ceil(share / 256);
        return passes * fixedMs + perExampleMs * share;
      };
      const projected = Object.fromEntries([4, 8, 16].map((w) => [`threads${w}`, m.oneDp / (serialMs + messagingMs + workerMs(w))]));
      const row = {
        serialMs,
        messagingMs,
        passFixedMs: fixedMs,
        passPerExampleMs: perExampleMs,
        projectedSpeedup: projected,
        oneThreadDpMs: m.oneDp,
        oneThreadNonPrivateMs: m.oneNonPrivate,
        parallelDpMs: m.parallelDp,
        parallelNonPrivateMs: m.parallelNonPrivate,
        speedup: m.oneDp / m.parallelDp,
        timeFraction: m.parallelDp / m.oneDp,
        parallelDpRatio: m.parallelDp / m.parallelNonPrivate,
        oneThreadDpRatio: m.oneDp / m.oneNonPrivate,
        repetitions: reps,
      };
      out[key] = row;
      const target = B === 32 ? '0.75' : B === 256 ? '0.6' : 'none';
      console.log(
        `batch ${B}: DP step ${m.oneDp.toFixed(1)} ms on 1 thread, ${m.parallelDp.toFixed(1)} ms on ${threads}: ` +
          `${row.timeFraction.toFixed(2)}x the time (target <= ${target}), speed-up ${row.speedup.toFixed(2)}; ` +
          `DP / non-private on ${threads} threads ${row.parallelDpRatio.toFixed(2)} (target <= 1.2; 1 thread ${row.oneThreadDpRatio.toFixed(2)})`,
      );
      console.log(
        `  per step: serial part (coordinator + optimizer) ${serialMs.toFixed(1)} ms, messaging ${messagingMs.toFixed(1)} ms; one pass ` +
          `${fixedMs.toFixed(1)} ms + ${perExampleMs.toFixed(2)} ms/example; projected speed-up (model, not measured): ` +
          Object.entries(projected).map(([k, v]) => `${k.replace('threads', '')} threads ${v.toFixed(1)}x`).join(', '),
      );
    }
  } finally {
    await pool.close();
    model.dispose();
  }
  return out;
}
