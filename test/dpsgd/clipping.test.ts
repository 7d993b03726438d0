import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { bruteForce, clippingFixture, randomWindows, relErr, tinyModel, useCpu } from './helpers.js';
import { makeBatch } from '../../src/dpsgd/data.js';
import { forwardWithTaps } from '../../src/dpsgd/taps.js';
import { clipFactors, clipPass, perExampleSquaredNorms, weightedGradientSums } from '../../src/dpsgd/per-example/clip.js';
import { clipMaterialized, materializedPerExampleGradients } from '../../src/dpsgd/per-example/reference.js';
import type { NormMethod } from '../../src/dpsgd/per-example/types.js';
import type { LanguageModelConfig } from '../../src/dpsgd/model.js';
import { dropoutMasks } from '../../src/dpsgd/gradient.js';
import { seededRandom } from '../../src/util/random.js';

beforeAll(useCpu);

// Tolerance: everything runs in float32 (eps 6e-8); the brute force is tfjs autodiff per
// example, the fast path Gram matrices. Over T <= 5 steps and dims <= 7 the accumulated
// rounding is ~1e-6 relative to the largest entry, so 1e-5 (the bound) has margin.
const TOL = 1e-5;

const cases: Array<[string, Partial<LanguageModelConfig>]> = [
  ['LSTM (one layer, with Embedding and Dense)', { cell: 'lstm' }],
  ['GRU (one layer)', { cell: 'gru' }],
  ['stacked LSTM (3 layers)', { cell: 'lstm', layers: 3 }],
  ['stacked GRU (2 layers)', { cell: 'gru', layers: 2 }],
];

describe.each(cases)('%s', (_label, config) => {
  const T = 5;
  const B = 6;
  const { model, windows, brute, clip, bruteClipped } = clippingFixture(config, T, B);

  it.each(['ghost', 'materialize', 'auto'] as NormMethod[])('per-example norms (%s) equal the brute force', (method) => {
    const batch = makeBatch(windows, Array.from({ length: B }, (_, i) => i), model.config.vocabSize);
    const pass = forwardWithTaps(model, batch.inputs, batch.targets);
    const sq = perExampleSquaredNorms(pass, method);
    const norms = Array.from(sq.dataSync(), Math.sqrt);
    expect(relErr(norms, brute.norms)).toBeLessThan(TOL);
    sq.dispose();
    pass.dispose();
    tf.dispose([batch.inputs, batch.targets]);
  });

  it('fast clipped sums equal the materialised reference and the brute force; each clipped gradient has norm <= C', () => {
    const batch = makeBatch(windows, Array.from({ length: B }, (_, i) => i), model.config.vocabSize);
    const pass = forwardWithTaps(model, batch.inputs, batch.targets);
    const sq = perExampleSquaredNorms(pass, 'auto');
    const factors = clipFactors(sq, clip);
    const fast = weightedGradientSums(pass, factors);
    const planned = (['ghost', 'materialize', 'auto'] as const).map((m) => clipPass(pass, clip, m));
    const perEx = materializedPerExampleGradients(pass);
    const ref = clipMaterialized(perEx, clip);
    expect(relErr(Array.from(ref.squaredNorms.dataSync(), Math.sqrt), brute.norms)).toBeLessThan(TOL);
    for (const name of model.params.keys()) {
      const b = bruteClipped.sums.get(name)!;
      expect(relErr(fast.get(name)!.dataSync(), b), name).toBeLessThan(TOL);
      expect(relErr(ref.sums.get(name)!.dataSync(), b), name).toBeLessThan(TOL);
      for (const p of planned) expect(relErr(p.sums.get(name)!.dataSync(), b), name).toBeLessThan(TOL);
    }
    for (const p of planned) expect(relErr(Array.from(p.squaredNorms.dataSync(), Math.sqrt), brute.norms)).toBeLessThan(TOL);
    tf.dispose(planned.flatMap((p) => [p.squaredNorms, ...p.sums.values()]));
    // Clipped per-example gradients from the materialised path: norm <= C (+ float32 rounding).
    const f = factors.dataSync();
    const clippedSq = new Float64Array(B);
    for (const g of perEx.values()) {
      const d = g.dataSync();
      const per = d.length / B;
      for (let i = 0; i < B; i++) for (let k = 0; k < per; k++) clippedSq[i]! += (f[i]! * d[i * per + k]!) ** 2;
    }
    let clippedCount = 0;
    for (let i = 0; i < B; i++) {
      expect(Math.sqrt(clippedSq[i]!)).toBeLessThanOrEqual(clip * (1 + 1e-6));
      if (f[i]! < 1) clippedCount++;
    }
    expect(clippedCount).toBeGreaterThan(0);
    expect(clippedCount).toBeLessThan(B);
    tf.dispose([sq, factors, ref.squaredNorms, batch.inputs, batch.targets, ...fast.values(), ...perEx.values(), ...ref.sums.values()]);
    pass.dispose();
  });
});

describe('with dropout (stacked LSTM)', () => {
  it('fast norms and clipped sums use the post-dropout activations, as the brute force does', () => {
    const T = 4;
    const B = 5;
    const model = tinyModel({ cell: 'lstm', layers: 2, dropout: 0.3 });
    const windows = randomWindows(B, T, model.config.vocabSize, 'drop');
    const masks = dropoutMasks(model, T, B, seededRandom('masks'));
    const brute = bruteForce(model, windows, Infinity, masks);
    const clip = [...brute.norms].sort((a, b) => a - b)[2]!;
    const bruteClipped = bruteForce(model, windows, clip, masks);
    const batch = makeBatch(windows, [0, 1, 2, 3, 4], model.config.vocabSize);
    const pass = forwardWithTaps(model, batch.inputs, batch.targets, masks);
    const r = clipPass(pass, clip, 'auto');
    expect(relErr(Array.from(r.squaredNorms.dataSync(), Math.sqrt), brute.norms)).toBeLessThan(TOL);
    for (const name of model.params.keys()) expect(relErr(r.sums.get(name)!.dataSync(), bruteClipped.sums.get(name)!), name).toBeLessThan(TOL);
    // Without the masks the norms differ: the test would notice dropout being ignored.
    const plain = bruteForce(model, windows, Infinity);
    expect(relErr(plain.norms, brute.norms)).toBeGreaterThan(1e-3);
    tf.dispose([r.squaredNorms, ...r.sums.values(), batch.inputs, batch.targets, ...masks.values()]);
    pass.dispose();
  });
});

describe('memory', () => {
  it('a tap pass and clipping leave no tensors behind', () => {
    const model = tinyModel({ cell: 'gru', layers: 2 });
    const windows = randomWindows(4, 3, model.config.vocabSize);
    const batch = makeBatch(windows, [0, 1, 2, 3], model.config.vocabSize);
    const before = tf.memory().numTensors;
    const pass = forwardWithTaps(model, batch.inputs, batch.targets);
    const sq = perExampleSquaredNorms(pass);
    const factors = clipFactors(sq, 1);
    const sums = weightedGradientSums(pass, factors);
    const planned = clipPass(pass, 1, 'auto');
    tf.dispose([sq, factors, ...sums.values(), planned.squaredNorms, ...planned.sums.values()]);
    pass.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
