import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/util/errors.js';
import * as tf from '@tensorflow/tfjs-core';
import { randomWindows, relErr, tinyModel, useCpu } from './helpers.js';
import { makeBatch } from '../../src/dpsgd/data.js';
import { nonPrivateGradient, privateGradient } from '../../src/dpsgd/gradient.js';
import { poissonSample } from '../../src/dpsgd/sampler.js';
import { seededRandom } from '../../src/util/random.js';

beforeAll(useCpu);

function flat(m: Map<string, tf.Tensor>): Float64Array {
  const parts = [...m.keys()].sort().map((k) => m.get(k)!.dataSync());
  return Float64Array.from(parts.flatMap((p) => Array.from(p)));
}

describe('Gaussian noise', () => {
  it('the added noise has mean 0 and standard deviation sigma * C per coordinate', () => {
    const model = tinyModel({ hiddenSize: 16, embeddingDim: 8, vocabSize: 20 }); // ~2.3k parameters
    const windows = randomWindows(6, 4, 20);
    const sigma = 1.3;
    const C = 0.7;
    const qN = 5;
    const diffs: number[] = [];
    for (let step = 0; step < 8; step++) {
      const batch = makeBatch(windows, [0, 1, 2, 3, 4, 5], 20);
      const base = { clipNorm: C, expectedBatchSize: qN, step, random: seededRandom('noise-test') };
      const clean = privateGradient(model, batch, { ...base, noiseMultiplier: 0 });
      const noisy = privateGradient(model, batch, { ...base, noiseMultiplier: sigma });
      const a = flat(noisy.grads);
      const b = flat(clean.grads);
      for (let k = 0; k < a.length; k++) diffs.push((a[k]! - b[k]!) * qN);
      tf.dispose([batch.inputs, batch.targets, ...clean.grads.values(), ...noisy.grads.values()]);
    }
    const n = diffs.length;
    const mean = diffs.reduce((s, x) => s + x, 0) / n;
    const sd = Math.sqrt(diffs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1));
    // Standard errors: mean sigma*C/sqrt(n); sample sd ~ sigma*C/sqrt(2n). Bounds at 4.5 SE
    // (a false alarm has probability < 1e-5 for a correct implementation).
    expect(n).toBeGreaterThan(15000);
    expect(Math.abs(mean)).toBeLessThan((4.5 * sigma * C) / Math.sqrt(n));
    expect(Math.abs(sd / (sigma * C) - 1)).toBeLessThan(4.5 / Math.sqrt(2 * n));
    // Float32 rounding of (sum + noise)/qN leaves a tiny error; the noise dwarfs it.
  });

  it('each step draws fresh noise; a seeded step draws the same noise again', () => {
    const model = tinyModel();
    const o = { clipNorm: 1, noiseMultiplier: 1, expectedBatchSize: 1, random: seededRandom('s') };
    const g0 = privateGradient(model, null, { ...o, step: 0 });
    const g0again = privateGradient(model, null, { ...o, step: 0, random: seededRandom('s') });
    const g1 = privateGradient(model, null, { ...o, step: 1 });
    expect(flat(g0again.grads)).toEqual(flat(g0.grads));
    expect(relErr(flat(g1.grads), flat(g0.grads))).toBeGreaterThan(0.1);
    tf.dispose([...g0.grads.values(), ...g0again.grads.values(), ...g1.grads.values()]);
  });

  it('an empty batch is a noise-only step (exactly zero without noise)', () => {
    const model = tinyModel();
    const o = { clipNorm: 1, expectedBatchSize: 3, step: 0, random: seededRandom('e') };
    const zero = privateGradient(model, null, { ...o, noiseMultiplier: 0 });
    expect(flat(zero.grads).every((x) => x === 0)).toBe(true);
    expect(zero.batchSize).toBe(0);
    const noisy = privateGradient(model, null, { ...o, noiseMultiplier: 2 });
    expect(flat(noisy.grads).some((x) => x !== 0)).toBe(true);
    tf.dispose([...zero.grads.values(), ...noisy.grads.values()]);
  });
});

describe('sigma = 0 and a huge clip norm', () => {
  it('gives the non-private step', () => {
    for (const cell of ['lstm', 'gru'] as const) {
      const model = tinyModel({ cell, layers: 2 });
      const windows = randomWindows(5, 4, model.config.vocabSize);
      const batch = makeBatch(windows, [0, 1, 2, 3, 4], model.config.vocabSize);
      const o = { noiseMultiplier: 0, expectedBatchSize: 4, step: 0, random: seededRandom('z') };
      const dp = privateGradient(model, batch, { ...o, clipNorm: 1e30 });
      const unclipped = privateGradient(model, batch, { ...o, clipNorm: Infinity });
      const plain = nonPrivateGradient(model, batch, 4);
      // Clip factors are exactly 1, so the DP path is bit-identical to its unclipped form ...
      expect(flat(dp.grads)).toEqual(flat(unclipped.grads));
      // ... and equals tfjs autodiff on the weights up to float32 summation order.
      for (const name of model.params.keys()) {
        expect(relErr(dp.grads.get(name)!.dataSync(), plain.grads.get(name)!.dataSync()), name).toBeLessThan(1e-5);
      }
      expect(dp.lossSum).toBeCloseTo(plain.lossSum, 4);
      tf.dispose([batch.inputs, batch.targets, ...dp.grads.values(), ...unclipped.grads.values(), ...plain.grads.values()]);
    }
  });
});

describe('Poisson sampler', () => {
  it('batch sizes match the rate: total over 20 steps within 4.5 sd of Binomial(20 n, q)', () => {
    const n = 100_000;
    const q = 0.01;
    const root = seededRandom('sampler');
    let total = 0;
    for (let t = 0; t < 20; t++) {
      const idx = poissonSample(n, q, root.fork(`step-${t}/sample`));
      for (let k = 1; k < idx.length; k++) expect(idx[k]!).toBeGreaterThan(idx[k - 1]!);
      if (idx.length > 0) expect(idx[idx.length - 1]!).toBeLessThan(n);
      total += idx.length;
    }
    const mean = 20 * n * q;
    const sd = Math.sqrt(20 * n * q * (1 - q));
    expect(Math.abs(total - mean)).toBeLessThan(4.5 * sd);
  });

  it('every example is included with probability q, independently of its position', () => {
    const n = 10;
    const q = 0.3;
    const trials = 20_000;
    const counts = new Array<number>(n).fill(0);
    const r = seededRandom('positions');
    let empty = 0;
    for (let k = 0; k < trials; k++) {
      const idx = poissonSample(n, q, r);
      if (idx.length === 0) empty++;
      for (const i of idx) counts[i]!++;
    }
    const sd = Math.sqrt(trials * q * (1 - q));
    for (const c of counts) expect(Math.abs(c - trials * q)).toBeLessThan(4.5 * sd);
    // Empty batches happen with probability (1 - q)^n.
    const pEmpty = (1 - q) ** n;
    expect(Math.abs(empty - trials * pEmpty)).toBeLessThan(4.5 * Math.sqrt(trials * pEmpty * (1 - pEmpty)));
  });

  it('handles q = 0, q = 1 and rejects rates outside [0, 1]', () => {
    expect(poissonSample(5, 0, seededRandom(1)).length).toBe(0);
    expect(Array.from(poissonSample(5, 1, seededRandom(1)))).toEqual([0, 1, 2, 3, 4]);
    expect(() => poissonSample(5, 1.5, seededRandom(1))).toThrow(InvalidArgumentError);
  });
});
