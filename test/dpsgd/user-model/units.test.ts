import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { useCpu } from '../helpers.js';
import { ints, relErr, seedWeights, uniform } from './brute-force.js';
import { exactUnitClippedChunk, fastUnitClippedChunk, trainableVariables } from '../../../src/dpsgd/user-model/gradient.js';
import { perExampleLoss, type LossName, type PerExampleLoss } from '../../../src/dpsgd/user-model/losses.js';
import { unitPasses } from '../../../src/dpsgd/user-model/units.js';
import { fitPrivately } from '../../../src/dpsgd/user-model/fit.js';
import { ledgerEpsilon, PrivacyLedger } from '../../../src/accountant/index.js';
import { InvalidArgumentError } from '../../../src/util/errors.js';

beforeAll(useCpu);

const TOL = 1e-5;

/**
 * Brute force, one unit at a time: tfjs autodiff through the model's own layers of the unit's
 * loss (the mean of its rows' losses), then the norm, Opacus's clip factor and the sum, in float64.
 */
function bruteUnits(model: tfl.LayersModel, x: tf.Tensor, y: tf.Tensor, loss: PerExampleLoss, units: number[][], clipNorm: number) {
  const vars = [...trainableVariables(model).values()];
  const sums = new Map(vars.map((v) => [v.name, new Float64Array(v.size)]));
  const norms: number[] = [];
  for (const unit of units) {
    const idx = tf.tensor1d(unit, 'int32');
    const { grads, value } = tf.variableGrads(() => tf.div(tf.sum(loss(tf.gather(y, idx), model.apply(tf.gather(x, idx), { training: true }) as tf.Tensor)), unit.length) as tf.Scalar, vars);
    value.dispose();
    idx.dispose();
    const flat = vars.map((v) => Float64Array.from(grads[v.name]?.dataSync() ?? new Float32Array(v.size)));
    tf.dispose(Object.values(grads));
    const norm = Math.sqrt(flat.reduce((a, g) => a + g.reduce((b, v) => b + v * v, 0), 0));
    norms.push(norm);
    const c = Math.min(1, clipNorm / (norm + 1e-6));
    vars.forEach((v, j) => flat[j]!.forEach((g, k) => (sums.get(v.name)![k]! += c * g)));
  }
  return { norms, sums };
}

const B = 10;
const models: Array<{ name: string; model: () => tfl.LayersModel; x: () => tf.Tensor; y: () => tf.Tensor; loss: LossName; fromLogits?: boolean }> = [
  {
    name: 'Embedding + LSTM (sequences) + Dense per step',
    model: () => tfl.sequential({ layers: [
      tfl.layers.embedding({ inputDim: 9, outputDim: 3, inputLength: 4 }),
      tfl.layers.lstm({ units: 4, returnSequences: true, recurrentInitializer: 'glorotUniform' }),
      tfl.layers.dense({ units: 9, activation: 'softmax' }),
    ] }),
    x: () => ints([B, 4], 9, 'ux1'),
    y: () => ints([B, 4], 9, 'uy1'),
    loss: 'sparseCategoricalCrossentropy',
  },
  {
    name: 'Embedding + GRU + Dense logits',
    model: () => tfl.sequential({ layers: [
      tfl.layers.embedding({ inputDim: 5, outputDim: 3, inputLength: 4 }),
      tfl.layers.gru({ units: 5, recurrentInitializer: 'glorotUniform' }),
      tfl.layers.dense({ units: 3 }),
    ] }),
    x: () => ints([B, 4], 5, 'ux2'),
    y: () => tf.oneHot(ints([B], 3, 'uy2') as tf.Tensor1D, 3),
    loss: 'categoricalCrossentropy',
    fromLogits: true,
  },
  {
    name: 'MLP (one position per row)',
    model: () => tfl.sequential({ layers: [tfl.layers.dense({ units: 6, activation: 'tanh', inputShape: [4] }), tfl.layers.dense({ units: 2 })] }),
    x: () => uniform([B, 4], 'ux3'),
    y: () => uniform([B, 2], 'uy3'),
    loss: 'meanSquaredError',
  },
];

describe.each(models)('per-unit clipping in a user model: $name', (c) => {
  // Units of 3, 1, 2 and 4 rows: three of them padded in a pass of k = 4.
  const units = [[0, 1, 2], [3], [4, 5], [6, 7, 8, 9]];
  const draw = { rows: Int32Array.from(units.flat()), sizes: Int32Array.from(units.map((u) => u.length)) };

  it('the fast and the exact path equal the brute force per unit (norms and clipped sum, padded units included), and each unit alone stays within C', () => {
    const model = c.model();
    seedWeights(model, 'units');
    const x = c.x();
    const y = c.y();
    const loss = perExampleLoss(c.loss, c.fromLogits ?? false);
    const norms = bruteUnits(model, x, y, loss, units, Infinity).norms;
    const clip = [...norms].sort((a, b) => a - b)[1]! * 1.01;
    const want = bruteUnits(model, x, y, loss, units, clip);
    for (const physical of [Infinity, 5]) {
      const got = new Map<string, Float64Array>();
      const gotNorms: number[] = [];
      for (const pass of unitPasses(draw, physical)) {
        const idx = tf.tensor1d(pass.indices, 'int32');
        const xb = tf.gather(x, idx);
        const yb = tf.gather(y, idx);
        const fast = fastUnitClippedChunk(model, [xb], yb, loss, clip, pass.units);
        const exact = exactUnitClippedChunk(model, [xb], yb, loss, clip, pass.units);
        expect(relErr(fast.norms, exact.norms)).toBeLessThan(TOL);
        for (const [n, t] of fast.sums) {
          expect(relErr(t.dataSync(), exact.sums.get(n)!.dataSync()), n).toBeLessThan(TOL);
          const acc = got.get(n) ?? new Float64Array(t.size);
          t.dataSync().forEach((v, k) => (acc[k]! += v));
          got.set(n, acc);
        }
        gotNorms.push(...fast.norms);
        tf.dispose([idx, xb, yb, ...fast.sums.values(), ...exact.sums.values()]);
      }
      expect(relErr(gotNorms, want.norms)).toBeLessThan(TOL);
      for (const [n, s] of want.sums) expect(relErr(got.get(n)!, s), n).toBeLessThan(TOL);
    }
    // Each unit alone, padded to 4 rows: its clipped contribution is at most C.
    for (const unit of units) {
      const pass = unitPasses({ rows: Int32Array.from(unit), sizes: Int32Array.from([unit.length]) }, Infinity)[0]!;
      const padded = { indices: Int32Array.from({ length: 4 }, (_, s) => unit[Math.min(s, unit.length - 1)]!), units: { count: 1, rowsPerUnit: 4, weights: Float32Array.from({ length: 4 }, (_, s) => (s < unit.length ? 1 / unit.length : 0)) } };
      for (const p of [pass, padded]) {
        const idx = tf.tensor1d(p.indices, 'int32');
        const xb = tf.gather(x, idx);
        const yb = tf.gather(y, idx);
        const g = fastUnitClippedChunk(model, [xb], yb, loss, clip, p.units);
        let sq = 0;
        for (const t of g.sums.values()) for (const v of t.dataSync()) sq += v * v;
        expect(Math.sqrt(sq)).toBeLessThanOrEqual(clip * (1 + 1e-5));
        tf.dispose([idx, xb, yb, ...g.sums.values()]);
      }
    }
    tf.dispose([x, y]);
    model.dispose();
  });
});

describe('fitPrivately with unitIds', () => {
  it("samples units: epsilon is the accountant's for q = batch / units, sigma and steps", async () => {
    const model = models[2]!.model();
    seedWeights(model, 'fit-units');
    const x = uniform([40, 4], 'fx');
    const y = uniform([40, 2], 'fy');
    const unitIds = Array.from({ length: 40 }, (_, i) => `u${i % 8}`);
    const r = await fitPrivately(model, x, y, {
      loss: 'meanSquaredError', optimizer: tf.train.sgd(0.1), epochs: 2, batchSize: 2, clipNorm: 1, noiseMultiplier: 1.2, delta: 1e-3,
      unitIds, examplesPerUnit: 3, seed: 'u', warn: () => undefined,
    });
    expect(r.samplingRate).toBe(2 / 8);
    expect(r.steps).toBe(8);
    expect(r.epsilon).toBe(ledgerEpsilon(PrivacyLedger.empty().compose({ samplingRate: 0.25, noiseMultiplier: 1.2, count: 8 }), 1e-3).epsilon);
    await expect(fitPrivately(model, x, y, { loss: 'meanSquaredError', optimizer: tf.train.sgd(0.1), epochs: 1, batchSize: 2, private: false, unitIds, warn: () => undefined }))
      .rejects.toThrow(InvalidArgumentError);
    await expect(fitPrivately(model, x, y, { loss: 'meanSquaredError', optimizer: tf.train.sgd(0.1), epochs: 1, batchSize: 2, clipNorm: 1, noiseMultiplier: 1, unitIds, examplesPerUnit: 0, warn: () => undefined }))
      .rejects.toThrow(/integer >= 1/);
    tf.dispose([x, y]);
    model.dispose();
  });
});
