import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { randomWindows, useCpu } from './helpers.js';
import { guardNonFinite, isFiniteStep } from '../../src/dpsgd/non-finite.js';
import { train, type TrainOptions } from '../../src/dpsgd/trainer.js';
import { localEngine, type GradientEngine } from '../../src/dpsgd/gradient-engine.js';
import { fitPrivately, type FitPrivatelyOptions } from '../../src/dpsgd/user-model/fit.js';
import { seedWeights } from './user-model/brute-force.js';
import { InvalidArgumentError, NonFiniteLossError } from '../../src/util/errors.js';
import { dpSgdEvent, RdpAccountant } from '../../src/accountant/index.js';

beforeAll(useCpu);

describe('guardNonFinite', () => {
  const step = (bad: Set<number>) => (idx: Int32Array) => ({
    lossSum: [...idx].reduce((s, i) => s + (bad.has(i) ? NaN : i), 0),
    norms: Float32Array.from(idx, (i) => (bad.has(i) ? Infinity : 1)),
    indices: idx,
  });
  const bad = (idx: Int32Array, first: { norms: Float32Array }) => [...first.norms.keys()].filter((k) => !Number.isFinite(first.norms[k]!));

  it('passes a finite step through untouched', async () => {
    const r = await guardNonFinite(Int32Array.from([1, 2, 3]), 0, 'stop', step(new Set()), bad, () => undefined);
    expect(r.skipped).toBe(0);
    expect(r.result.lossSum).toBe(6);
  });

  it("'stop' throws a NonFiniteLossError naming the 1-based step and disposes the result", async () => {
    let disposed = 0;
    const p = guardNonFinite(Int32Array.from([1, 2, 3]), 6, 'stop', step(new Set([2])), bad, () => disposed++);
    await expect(p).rejects.toThrow(NonFiniteLossError);
    await expect(guardNonFinite(Int32Array.from([1, 2, 3]), 6, 'stop', step(new Set([2])), bad, () => undefined)).rejects.toThrow(/^step 7: .*1 of its 3 examples/);
    expect(disposed).toBe(1);
  });

  it("'skip' recomputes without exactly the bad examples and counts them", async () => {
    const r = await guardNonFinite(Int32Array.from([1, 2, 3, 4]), 0, 'skip', step(new Set([2, 4])), bad, () => undefined);
    expect(r.skipped).toBe(2);
    expect(Array.from(r.result.indices)).toEqual([1, 3]);
    expect(isFiniteStep(r.result)).toBe(true);
  });

  it("'skip' refuses when every example is bad (the weights themselves are broken) or none can be named", async () => {
    await expect(guardNonFinite(Int32Array.from([1, 2]), 0, 'skip', step(new Set([1, 2])), bad, () => undefined)).rejects.toThrow(/every example/);
    await expect(guardNonFinite(Int32Array.from([1, 2]), 0, 'skip', () => ({ lossSum: NaN, norms: null }), () => [], () => undefined)).rejects.toThrow(/none can be skipped/);
  });
});

describe('train (LSTM) with a non-finite example', () => {
  const examples = randomWindows(30, 6, 7, 'nf');
  const base = (over: Partial<TrainOptions>): TrainOptions =>
    ({
      model: { vocabSize: 7, embeddingDim: 3, hiddenSize: 4, layers: 1, cell: 'lstm', dropout: 0 },
      examples, sampling: { rate: 0.5 }, length: { steps: 6 }, privacy: { kind: 'dp', clipNorm: 1, noise: { multiplier: 1.1 } },
      optimizer: { name: 'adam', learningRate: 0.02 }, seed: 'nf', warn: () => undefined, ...over,
    }) satisfies TrainOptions;
  // An engine that poisons example 0: its norm and the loss become NaN (as NaN data or an overflow would).
  const poisoned: GradientEngine = {
    threads: 1,
    async gradient(model, ex, idx, o) {
      const g = await localEngine.gradient(model, ex, idx, o);
      const at = Array.from(idx).indexOf(0);
      if (at < 0) return g;
      const norms = g.norms ? Float32Array.from(g.norms) : new Float32Array(idx.length);
      norms[at] = NaN;
      return { ...g, lossSum: NaN, norms };
    },
  };

  it("'stop': one line naming the step; the model is untouched and the last checkpoint is kept", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nf-'));
    try {
      const ck = join(dir, 'ck.json');
      const err = await train(base({ engine: poisoned, checkpointPath: ck })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NonFiniteLossError);
      const failed = (err as NonFiniteLossError).step;
      expect((err as Error).message).toMatch(new RegExp(`^step ${failed}: `));
      expect((err as Error).message).not.toMatch(/\n/);
      // The checkpoint holds the steps before the failed one, and finite weights.
      if (failed > 1) {
        const saved = JSON.parse(readFileSync(ck, 'utf8')) as { step: number };
        expect(saved.step).toBe(failed - 1);
      } else expect(existsSync(ck)).toBe(false);
      expect(readFileSync(ck, 'utf8')).not.toMatch(/NaN|null,/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("'skip': completes with finite weights, counts the skipped example, and spends the same epsilon", async () => {
    const r = await train(base({ engine: poisoned, nonFinite: 'skip' }));
    expect(r.stopReason).toBe('completed');
    expect(r.skippedExamples).toBeGreaterThan(0);
    expect(r.skippedExamples).toBeLessThanOrEqual(6);
    for (const p of r.model.params.values()) expect(Array.from(p.dataSync()).every(Number.isFinite)).toBe(true);
    const expected = new RdpAccountant().compose(dpSgdEvent(0.5, 1.1, 6)).epsilon(r.delta).epsilon;
    expect(r.epsilon).toBeCloseTo(expected, 10);
    // A clean run takes the same number of steps and skips nothing.
    const clean = await train(base({}));
    expect(clean.skippedExamples).toBe(0);
  });

  it('NaN weights: every example is non-finite, so even skip stops rather than train on', async () => {
    const r = await train(base({ length: { steps: 1 } }));
    const [first] = [...r.model.params.values()];
    first!.assign(tf.fill(first!.shape, NaN));
    await expect(train(base({ model: r.model, nonFinite: 'skip' }))).rejects.toThrow(/every example/);
    await expect(train(base({ model: r.model }))).rejects.toThrow(NonFiniteLossError);
  });
});

describe('fitPrivately with non-finite data', () => {
  function data(n: number): { x: tf.Tensor2D; y: tf.Tensor1D } {
    const xs = Array.from({ length: n * 4 }, (_, k) => Math.sin(k) + (Math.floor(k / 4) % 2));
    return { x: tf.tensor2d(xs, [n, 4]), y: tf.tensor1d(Array.from({ length: n }, (_, i) => i % 2)) };
  }
  function mlp(): tfl.LayersModel {
    const m = tfl.sequential({ layers: [tfl.layers.dense({ units: 8, activation: 'relu', inputShape: [4] }), tfl.layers.dense({ units: 1 })] });
    seedWeights(m, 'nf');
    return m;
  }
  const base = (over: Partial<FitPrivatelyOptions> = {}): FitPrivatelyOptions => ({
    loss: 'meanSquaredError', optimizer: tf.train.sgd(0.1), epochs: 2, batchSize: 20, clipNorm: 1, noiseMultiplier: 1, seed: 'nf', warn: () => undefined, ...over,
  });

  it('refuses a NaN feature or label before training, naming the row (the issue: 200 rows, one NaN)', async () => {
    const { x, y } = data(200);
    const xs = x.arraySync();
    xs[137]![2] = NaN;
    await expect(fitPrivately(mlp(), tf.tensor2d(xs), y, base())).rejects.toThrow(/^x row 137 holds a non-finite value/);
    const ys = y.arraySync();
    ys[5] = Infinity;
    await expect(fitPrivately(mlp(), x, tf.tensor1d(ys), base())).rejects.toThrow(InvalidArgumentError);
    await expect(fitPrivately(mlp(), [x, x], y, base())).rejects.toThrow(/x has|no rule|input/i);
  });

  // A loss that is NaN for rows labelled -1: finite data, non-finite loss during training.
  const sqrtLoss = (yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor1D =>
    tf.tidy(() => tf.mul(tf.square(tf.sub(tf.reshape(yPred, [-1]), tf.reshape(yTrue, [-1]))), tf.sqrt(tf.add(tf.reshape(yTrue, [-1]), 0.5))) as tf.Tensor1D);

  it("a non-finite loss during training: 'stop' names the step; 'skip' completes with finite weights and counts", async () => {
    const { x } = data(60);
    const labels = Array.from({ length: 60 }, (_, i) => (i === 17 ? -1 : i % 2));
    const y = tf.tensor1d(labels);
    await expect(fitPrivately(mlp(), x, y, base({ loss: sqrtLoss }))).rejects.toThrow(/^step \d+: the loss or a gradient of 1 of its/);
    const m = mlp();
    const r = await fitPrivately(m, x, y, base({ loss: sqrtLoss, nonFinite: 'skip', epochs: 3 }));
    expect(r.stopReason).toBe('completed');
    expect(r.skippedExamples).toBeGreaterThan(0);
    expect(m.getWeights().every((w) => Array.from(w.dataSync()).every(Number.isFinite))).toBe(true);
    expect(Number.isFinite(r.history.loss.at(-1))).toBe(true);
  });
});
