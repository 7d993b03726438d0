import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { useCpu } from '../helpers.js';
import { fitPrivately, type FitPrivatelyOptions } from '../../../src/dpsgd/user-model/fit.js';
import { ledgerEpsilon, PrivacyLedger } from '../../../src/accountant/index.js';
import { seededRandom } from '../../../src/util/random.js';
import { seedWeights } from './brute-force.js';

beforeAll(useCpu);

/** Two Gaussian blobs in 4 dimensions, labels 0/1, from a fixed seed. */
function blobs(n: number, seed: string): { x: tf.Tensor2D; y: tf.Tensor1D } {
  const r = seededRandom(seed);
  const xs: number[] = [];
  const ys: number[] = [];
  const z = new Float64Array(4);
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    r.fillNormal(z);
    for (let k = 0; k < 4; k++) xs.push(z[k]! * 0.7 + (label ? 1 : -1));
    ys.push(label);
  }
  return { x: tf.tensor2d(xs, [n, 4]), y: tf.tensor1d(ys, 'int32') };
}

function mlp(seed = 'mlp'): tfl.LayersModel {
  const m = tfl.sequential({ layers: [tfl.layers.dense({ units: 8, activation: 'relu', inputShape: [4] }), tfl.layers.dense({ units: 2, activation: 'softmax' })] });
  seedWeights(m, seed);
  return m;
}

const base = (over: Partial<FitPrivatelyOptions> = {}): FitPrivatelyOptions => ({
  loss: 'sparseCategoricalCrossentropy',
  optimizer: tf.train.sgd(0.5),
  epochs: 2,
  batchSize: 20,
  clipNorm: 1,
  noiseMultiplier: 1,
  seed: 'fit',
  warn: () => undefined,
  ...over,
});

function weights(m: tfl.LayersModel): number[] {
  return m.getWeights().flatMap((w) => Array.from(w.dataSync()));
}

describe('fitPrivately', () => {
  const data = blobs(200, 'blobs');

  it('splits a logical batch into physical chunks without changing the result, and charges the ledger once per logical step', async () => {
    const a = mlp();
    const b = mlp();
    const ra = await fitPrivately(a, data.x, data.y, base({ physicalBatchSize: 3, optimizer: tf.train.sgd(0.5) }));
    const rb = await fitPrivately(b, data.x, data.y, base({ physicalBatchSize: 1000, optimizer: tf.train.sgd(0.5) }));
    const wa = weights(a);
    const wb = weights(b);
    for (let k = 0; k < wa.length; k++) expect(wa[k]!).toBeCloseTo(wb[k]!, 5);
    expect(ra.steps).toBe(20); // 2 epochs x ceil(200 / 20)
    expect(rb.steps).toBe(ra.steps);
    expect(rb.epsilon).toBe(ra.epsilon); // the chunking does not change the privacy charge
    const expected = ledgerEpsilon(PrivacyLedger.empty().compose({ samplingRate: 0.1, noiseMultiplier: 1, count: 20 }), ra.delta).epsilon;
    expect(ra.epsilon).toBeCloseTo(expected, 10);
    expect(ra.delta).toBe(1e-3);
    expect(ra.randomKind).toBe('seeded');
    expect(ra.mode).toBe('fast');
  });

  it('calls back with epsilon and validation metrics, Keras-style, and learns', async () => {
    const m = mlp();
    const epochs: { epoch: number; loss: number; epsilon: number; val_acc?: number }[] = [];
    let batches = 0;
    const r = await fitPrivately(m, data.x, data.y, base({
      epochs: 3, noiseMultiplier: 0.5, validationData: [data.x, data.y],
      callbacks: { onEpochEnd: (epoch, logs) => void epochs.push({ epoch, ...logs }), onBatchEnd: () => void (batches += 1) },
    }));
    expect(epochs.map((e) => e.epoch)).toEqual([0, 1, 2]);
    expect(batches).toBe(30);
    expect(epochs[0]!.epsilon).toBeLessThan(epochs[2]!.epsilon);
    expect(r.history.epsilon).toEqual(epochs.map((e) => e.epsilon));
    expect(epochs[2]!.val_acc!).toBeGreaterThan(0.9);
  });

  it('stops before a step that would exceed the budget', async () => {
    const r = await fitPrivately(mlp(), data.x, data.y, base({ epochs: 5, maxEpsilon: 2 }));
    expect(r.stopReason).toBe('epsilon-budget');
    expect(r.epsilon).toBeLessThanOrEqual(2);
    const oneMore = ledgerEpsilon(PrivacyLedger.empty().compose({ samplingRate: 0.1, noiseMultiplier: 1, count: r.steps + 1 }), r.delta).epsilon;
    expect(oneMore).toBeGreaterThan(2);
  });

  it('calibrates sigma for a target epsilon and spends at most it', async () => {
    const r = await fitPrivately(mlp(), data.x, data.y, base({ noiseMultiplier: undefined, targetEpsilon: 3 }));
    expect(r.stopReason).toBe('completed');
    expect(r.epsilon).toBeLessThanOrEqual(3);
    expect(r.epsilon).toBeGreaterThan(2.9);
  });

  it('resumes from a checkpoint to the same weights and ledger as an uninterrupted run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dpc-fit-'));
    try {
      const path = join(dir, 'ck.json');
      const whole = mlp();
      const rw = await fitPrivately(whole, data.x, data.y, base({ optimizer: tf.train.adam(0.05) }));
      const broken = mlp();
      await expect(
        fitPrivately(broken, data.x, data.y, base({
          optimizer: tf.train.adam(0.05), checkpointPath: path, checkpointEvery: 1,
          callbacks: { onBatchEnd: (_b, logs) => { if (logs.step === 7) throw new Error('crash'); } },
        })),
      ).rejects.toThrow('crash');
      const resumed = mlp('other-start');
      const rr = await fitPrivately(resumed, data.x, data.y, base({ optimizer: tf.train.adam(0.05), checkpointPath: path, resume: true }));
      expect(rr.steps).toBe(rw.steps);
      expect(rr.epsilon).toBe(rw.epsilon);
      const a = weights(whole);
      const b = weights(resumed);
      for (let k = 0; k < a.length; k++) expect(b[k]!).toBeCloseTo(a[k]!, 5);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('trains without privacy on the same batches (epsilon Infinity)', async () => {
    const r = await fitPrivately(mlp(), data.x, data.y, base({ private: false, clipNorm: undefined, noiseMultiplier: undefined }));
    expect(r.epsilon).toBe(Infinity);
    expect(r.mode).toBe('non-private');
  });

  it('draws secure noise unless seeded, and takes the exact path for a layer without a rule when allowed', async () => {
    const secure = await fitPrivately(mlp(), data.x, data.y, base({ seed: undefined, epochs: 0.1 }));
    expect(secure.randomKind).toBe('secure');
    const odd = tfl.sequential({ layers: [
      tfl.layers.reshape({ targetShape: [2, 2, 1], inputShape: [4] }),
      tfl.layers.depthwiseConv2d({ kernelSize: 1 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 2, activation: 'softmax' }),
    ] });
    await expect(fitPrivately(odd, data.x, data.y, base({ epochs: 0.1 }))).rejects.toThrow(/DepthwiseConv2D.*exactFallback/);
    const r = await fitPrivately(odd, data.x, data.y, base({ epochs: 0.1, exactFallback: true }));
    expect(r.mode).toBe('exact');
    expect(r.steps).toBe(1);
  });

  it('leaves no tensors behind (private and not, several chunks per step)', async () => {
    const m = mlp();
    const opt = tf.train.adam(0.01);
    // Options built up front: base() makes an SGD optimizer, which holds a tensor.
    const priv = base({ optimizer: opt, physicalBatchSize: 7, validationData: [data.x, data.y] });
    const plain = { ...priv, private: false, clipNorm: undefined, noiseMultiplier: undefined };
    await fitPrivately(m, data.x, data.y, priv); // creates the optimizer's slots
    const before = tf.memory().numTensors;
    await fitPrivately(m, data.x, data.y, priv);
    await fitPrivately(m, data.x, data.y, plain);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects bad settings with one-line errors', async () => {
    await expect(fitPrivately(mlp(), data.x, data.y, base({ batchSize: 500 }))).rejects.toThrow(/at most the 200 examples/);
    await expect(fitPrivately(mlp(), data.x, data.y, base({ clipNorm: -1 }))).rejects.toThrow(/clip norm must be a positive number/);
    await expect(fitPrivately(mlp(), data.x, data.y, base({ targetEpsilon: 3 }))).rejects.toThrow(/exactly one/);
    await expect(fitPrivately(mlp(), data.x, data.y, base({ loss: 'hinge' as never }))).rejects.toThrow(/unknown loss 'hinge'/);
  });
});
