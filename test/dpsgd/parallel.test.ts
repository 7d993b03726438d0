import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomWindows, tinyModel, useCpu } from './helpers.js';
import { logicalBatchGradient, type LogicalStepOptions } from '../../src/dpsgd/logical-batch.js';
import { DataParallelPool } from '../../src/dpsgd/parallel/pool.js';
import { shardBatch, splitRange } from '../../src/dpsgd/parallel/shard.js';
import { ParallelSession, autoThreads } from '../../src/dpsgd/parallel/session.js';
import { train, type TrainOptions } from '../../src/dpsgd/trainer.js';
import { LanguageModel } from '../../src/dpsgd/model.js';
import { WorkerFailedError } from '../../src/util/errors.js';
import { seededRandom } from '../../src/util/random.js';

beforeAll(useCpu);

/**
 * A W-thread step adds the same float32 terms as a one-thread step in another order. Each
 * coordinate is a sum of at most a few dozen terms of the size of the largest coordinate, so
 * the orders agree to a few float32 ulps of that size: 1e-5 of it is a loose bound.
 */
const SUMMATION_TOLERANCE = 1e-5;

function maxAbs(m: Map<string, tf.Tensor>): number {
  let a = 0;
  for (const t of m.values()) for (const x of t.dataSync()) a = Math.max(a, Math.abs(x));
  return a;
}

function maxDiff(a: Map<string, tf.Tensor>, b: Map<string, tf.Tensor>): number {
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  let d = 0;
  for (const [k, t] of a) {
    const x = t.dataSync();
    const y = b.get(k)!.dataSync();
    for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i]! - y[i]!));
  }
  return d;
}

/** Largest absolute difference between the weights of two models of one config. */
function maxWeightDiff(a: LanguageModel, b: LanguageModel): number {
  const wa = a.weights();
  let d = 0;
  for (const [name, w] of b.weights()) {
    const v = wa.get(name)!;
    expect(v.length).toBe(w.length);
    for (let k = 0; k < w.length; k++) d = Math.max(d, Math.abs(w[k]! - v[k]!));
  }
  return d;
}

describe('sharding a logical batch among workers', () => {
  it('gives every example to exactly one pass, in order, in near-equal shares of passes within the physical size', () => {
    const r = seededRandom('shard');
    for (let trial = 0; trial < 300; trial++) {
      const W = 1 + r.int(5);
      const B = r.int(60);
      const P = r.int(4) === 0 ? Infinity : 1 + r.int(20);
      const indices = Int32Array.from({ length: B }, () => r.int(1000));
      const shards = shardBatch(indices, P, W);
      expect(shards).toHaveLength(W);
      // Worker order, then pass order, is batch order.
      const passes = shards.flat();
      expect(passes.flatMap((p) => Array.from(p.indices))).toEqual(Array.from(indices));
      let at = 0;
      for (const p of passes) {
        expect(p.start).toBe(at);
        at += p.indices.length;
        expect(p.indices.length).toBeGreaterThan(0);
        expect(p.indices.length).toBeLessThanOrEqual(P);
        // Segments: where the pass's examples sit among the one-thread chunks [cP, (c+1)P).
        const Pc = Number.isFinite(P) ? P : B;
        let k = p.start;
        for (const seg of p.segments) {
          expect(seg.chunk).toBe(Math.floor(k / Pc));
          expect(seg.offset).toBe(k - seg.chunk * Pc);
          expect(seg.chunkSize).toBe(Math.min(Pc, B - seg.chunk * Pc));
          expect(seg.offset + seg.length).toBeLessThanOrEqual(seg.chunkSize);
          k += seg.length;
        }
        expect(k).toBe(p.start + p.indices.length);
      }
      const sizes = shards.map((ps) => ps.reduce((n, p) => n + p.indices.length, 0));
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      // A worker runs as few passes as the physical size allows.
      shards.forEach((ps, w) => expect(ps.length).toBe(Math.ceil(sizes[w]! / (Number.isFinite(P) ? P : Math.max(1, B)))));
      // One worker: the passes are the one-thread chunks.
      if (W === 1) expect(passes.every((p) => p.segments.length === 1 && p.segments[0]!.length === p.segments[0]!.chunkSize)).toBe(true);
    }
    expect(splitRange(10, 3)).toEqual([{ from: 0, to: 3 }, { from: 3, to: 6 }, { from: 6, to: 10 }]);
    expect(splitRange(2, 4)).toEqual([{ from: 0, to: 1 }, { from: 1, to: 2 }]);
  });

  it('uses one thread per 16 examples of the expected batch, up to the cores', () => {
    expect(autoThreads(8, 16)).toBe(1);
    expect(autoThreads(32, 2)).toBe(2);
    expect(autoThreads(256, 16)).toBe(16);
    expect(autoThreads(100, 16)).toBe(6);
  });
});

describe('data-parallel DP-SGD on worker threads', () => {
  const windows = randomWindows(40, 6, 7);
  const indices = Int32Array.from([0, 1, 3, 4, 6, 9, 10, 12, 15, 17, 20, 21, 22, 25, 28, 31, 33, 36, 37, 39]);
  let pool: DataParallelPool;
  const dropoutPools: DataParallelPool[] = [];
  beforeAll(async () => {
    pool = await DataParallelPool.open({ threads: 3, config: tinyModel().config, examples: windows });
  }, 60_000);
  afterAll(async () => {
    await pool.close();
    await Promise.all(dropoutPools.map((p) => p.close()));
  });

  const options = (privacy: LogicalStepOptions['privacy'], physicalBatchSize: number): LogicalStepOptions => ({
    privacy, physicalBatchSize, expectedBatchSize: 18, step: 4, random: seededRandom('noise'),
  });

  it('computes the one-thread DP step: same noise, norms and loss, sums up to summation order', async () => {
    const model = tinyModel();
    for (const physical of [Infinity, 7]) {
      const o = options({ kind: 'dp', clipNorm: 0.5, noiseMultiplier: 1.3 }, physical);
      const one = logicalBatchGradient(model, windows, indices, o);
      const par = await pool.gradient(model, windows, indices, o);
      expect(maxDiff(one.grads, par.grads)).toBeLessThanOrEqual(SUMMATION_TOLERANCE * maxAbs(one.grads));
      expect(par.batchSize).toBe(indices.length);
      expect(par.tokens).toBe(one.tokens);
      expect(par.lossSum).toBeCloseTo(one.lossSum, 3);
      expect(Array.from(par.norms!)).toEqual(Array.from(one.norms!).map((x) => expect.closeTo(x, 5)));
      tf.dispose([...one.grads.values(), ...par.grads.values()]);
    }
    model.dispose();
  });

  it('computes the one-thread step of privacy units: whole units per worker, norms per unit', async () => {
    const model = tinyModel();
    // 7 units of 1..4 windows (rows are the units' windows, unit after unit).
    const sizes = Int32Array.from([3, 1, 4, 2, 2, 1, 3]);
    const rows = indices.slice(0, 16);
    for (const physical of [Infinity, 5]) {
      const o = { ...options({ kind: 'dp', clipNorm: 0.5, noiseMultiplier: 1.3 }, physical), expectedBatchSize: 6, unitSizes: sizes };
      const one = logicalBatchGradient(model, windows, rows, o);
      const par = await pool.gradient(model, windows, rows, o);
      expect(maxDiff(one.grads, par.grads)).toBeLessThanOrEqual(SUMMATION_TOLERANCE * maxAbs(one.grads));
      expect(par.batchSize).toBe(7);
      expect(par.tokens).toBe(one.tokens);
      expect(Array.from(par.norms!)).toEqual(Array.from(one.norms!).map((x) => expect.closeTo(x, 5)));
      tf.dispose([...one.grads.values(), ...par.grads.values()]);
    }
    model.dispose();
  });

  it('draws the one-thread dropout masks (non-private step with dropout)', async () => {
    const model = tinyModel({ dropout: 0.4 });
    const p = await DataParallelPool.open({ threads: 2, config: model.config, examples: windows });
    dropoutPools.push(p);
    const o = options({ kind: 'none' }, 8);
    const one = logicalBatchGradient(model, windows, indices, o);
    const par = await p.gradient(model, windows, indices, o);
    expect(maxDiff(one.grads, par.grads)).toBeLessThanOrEqual(SUMMATION_TOLERANCE * maxAbs(one.grads));
    // Other masks would change the gradient far beyond rounding.
    const other = logicalBatchGradient(model, windows, indices, { ...o, step: 5 });
    expect(maxDiff(one.grads, other.grads)).toBeGreaterThan(100 * SUMMATION_TOLERANCE * maxAbs(one.grads));
    tf.dispose([...one.grads.values(), ...par.grads.values(), ...other.grads.values()]);
    model.dispose();
  });

  it('an empty logical batch is a noise-only step, as in one thread', async () => {
    const model = tinyModel();
    const o = options({ kind: 'dp', clipNorm: 1, noiseMultiplier: 2 }, Infinity);
    const one = logicalBatchGradient(model, windows, new Int32Array(0), o);
    const par = await pool.gradient(model, windows, new Int32Array(0), o);
    expect(maxDiff(one.grads, par.grads)).toBe(0);
    expect(par.batchSize).toBe(0);
    tf.dispose([...one.grads.values(), ...par.grads.values()]);
    model.dispose();
  });

  it('a seeded run on 3 threads ends with the one-thread weights and the same ledger', async () => {
    const base: TrainOptions = {
      model: tinyModel().config, examples: windows, privacy: { kind: 'dp', clipNorm: 0.5, noise: { multiplier: 1.1 } }, sampling: { batchSize: 12 }, length: { steps: 4 },
      optimizer: { name: 'adam', learningRate: 0.01 }, seed: 'run', warn: () => undefined,
    };
    const one = await train(base);
    const par = await train({ ...base, engine: pool });
    expect(par.steps).toBe(one.steps);
    expect(par.epsilon).toBe(one.epsilon);
    expect(par.ledger!.toJSON()).toEqual(one.ledger!.toJSON());
    // Adam's update is about lr per step whatever the gradient's size, so compare to lr.
    expect(maxWeightDiff(one.model, par.model)).toBeLessThan(1e-4);
    one.model.dispose();
    par.model.dispose();
  });
});

describe('a session whose thread limit changes (a study freeing cores)', () => {
  it('takes the new limit at the next step, even while the steps never wait on I/O', async () => {
    const windows = randomWindows(40, 5, 7);
    const model = tinyModel();
    const session = new ParallelSession('auto', { limit: 1 });
    try {
      const engine = session.engineFor(model.config, windows, 32);
      expect(engine.threads).toBe(1);
      // Delivered like a runner's message: a macrotask, after the first step has begun.
      setImmediate(() => session.setLimit(2));
      const o: LogicalStepOptions = { privacy: { kind: 'none' }, physicalBatchSize: Infinity, expectedBatchSize: 32, step: 0, random: seededRandom('s') };
      for (let t = 0; t < 3; t++) {
        const g = await engine.gradient(model, windows, Int32Array.from({ length: 8 }, (_, i) => i + t), { ...o, step: t });
        tf.dispose([...g.grads.values()]);
      }
      expect(engine.threads).toBe(2);
      expect(session.mostThreads).toBe(2);
    } finally {
      await session.close();
      model.dispose();
    }
  }, 60_000);
});

describe('a worker that dies', () => {
  const windows = randomWindows(30, 5, 7);
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dp-canary-parallel-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fails the step cleanly; the run resumes from its checkpoint and ends where an unbroken run ends', async () => {
    const config = tinyModel().config;
    const base: TrainOptions = {
      model: config, examples: windows, privacy: { kind: 'dp', clipNorm: 1, noise: { multiplier: 1.2 } }, sampling: { batchSize: 10 }, length: { steps: 5 },
      optimizer: { name: 'sgd', learningRate: 0.1 }, seed: 'crash', warn: () => undefined,
    };
    const unbroken = await train(base);
    const ckpt = join(dir, 'checkpoint.json');
    const pool = await DataParallelPool.open({ threads: 2, config, examples: windows });
    try {
      await expect(
        train({
          ...base, engine: pool, checkpointPath: ckpt,
          onStep: async (r) => {
            if (r.step === 2) await pool.terminateWorker(1);
          },
        }),
      ).rejects.toBeInstanceOf(WorkerFailedError);
      await expect(pool.gradient(unbroken.model, windows, new Int32Array([1, 2]), {
        privacy: { kind: 'none' }, physicalBatchSize: Infinity, expectedBatchSize: 2, step: 0, random: seededRandom('x'),
      })).rejects.toThrow(/worker 1 exited/);
    } finally {
      await pool.close();
    }
    const resumed = await train({ ...base, threads: 2, checkpointPath: ckpt, resume: true });
    expect(resumed.steps).toBe(5);
    expect(resumed.epsilon).toBe(unbroken.epsilon);
    expect(maxWeightDiff(unbroken.model, resumed.model)).toBeLessThan(1e-5);
    unbroken.model.dispose();
    resumed.model.dispose();
  }, 60_000);
});

describe('exact enumeration on worker threads', () => {
  it.each([
    { vocabSize: 9, embeddingDim: 4, hiddenSize: 5, layers: 1, cell: 'gru' as const, dropout: 0 },
    { vocabSize: 9, embeddingDim: 8, hiddenSize: 8, layers: 2, cell: 'transformer' as const, heads: 2, ffnSize: 12, maxLength: 8, dropout: 0 },
  ])('equals the one-thread enumeration of the same model ($cell)', async (config) => {
    const { openSecretModel, closeSecretModel } = await import('../../src/canary/secret-model.js');
    const { enumerateLogPerplexities } = await import('../../src/canary/exact.js');
    const { languageModelScorer } = await import('../../src/dpsgd/scorer.js');
    const model = LanguageModel.create(config, seededRandom('enum'));
    const symbols = Int32Array.from([2, 3, 4, 5, 6]);
    const prefix = [1, 7, 8];
    const sm = await openSecretModel(languageModelScorer(model), prefix, symbols, 4);
    const one = await enumerateLogPerplexities(sm);
    closeSecretModel(sm);
    const pool = await DataParallelPool.open({ threads: 2, config: model.config });
    try {
      const par = await pool.enumerate(model, prefix, symbols, 4);
      expect(par.length).toBe(one.length);
      for (let k = 0; k < one.length; k++) expect(par[k]).toBeCloseTo(one[k]!, 4);
    } finally {
      await pool.close();
      model.dispose();
    }
  }, 60_000);
});
