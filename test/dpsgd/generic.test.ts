import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { relErr, useCpu } from './helpers.js';
import { layersModelParams, layersModelPrivateGradient, resetSlowPathWarning, trainLayersModelPrivately } from '../../src/dpsgd/generic.js';
import { seededRandom } from '../../src/util/random.js';

beforeAll(useCpu);

// Per-example loss ||x W + b - y||^2 has the closed-form gradient dW = 2 x^T r, db = 2 r
// (r = x W + b - y), so the clipped sum can be checked in float64 without autodiff.
const sqLoss = (yTrue: tf.Tensor, yPred: tf.Tensor): tf.Scalar => tf.sum(tf.square(tf.sub(yPred, yTrue)));

function linearModel(): tfl.LayersModel {
  const m = tfl.sequential({ layers: [tfl.layers.dense({ units: 2, inputShape: [3], kernelInitializer: 'glorotUniform' })] });
  const r = seededRandom('w');
  m.setWeights([tf.tensor2d(Array.from({ length: 6 }, () => r.uniform() - 0.5), [3, 2]), tf.tensor1d([0.1, -0.2])]);
  return m;
}

describe('generic tf.LayersModel path', () => {
  it('clipped per-example gradients equal the closed form, and it warns that it is slow', () => {
    const model = linearModel();
    const r = seededRandom('xy');
    const B = 5;
    const xs = Array.from({ length: B }, () => [r.uniform() * 2, r.uniform() - 1, r.uniform() * 3]);
    const ys = Array.from({ length: B }, () => [r.uniform(), r.uniform() * 4]);
    const [W, b] = model.getWeights().map((t) => Array.from(t.dataSync()));
    // C between the smallest and largest norm (found from the closed form below; checked after).
    let C = 0;
    const sumW = new Float64Array(6);
    const sumB = new Float64Array(2);
    const norms: number[] = [];
    const grads: number[][] = [];
    for (let i = 0; i < B; i++) {
      const res = [0, 1].map((j) => xs[i]![0]! * W![j]! + xs[i]![1]! * W![2 + j]! + xs[i]![2]! * W![4 + j]! + b![j]! - ys[i]![j]!);
      const gW = [0, 1, 2].flatMap((k) => [0, 1].map((j) => 2 * xs[i]![k]! * res[j]!));
      const gB = res.map((v) => 2 * v);
      grads.push([...gW, ...gB]);
      norms.push(Math.sqrt([...gW, ...gB].reduce((s, v) => s + v * v, 0)));
    }
    C = [...norms].sort((a, b) => a - b)[2]!;
    grads.forEach((g, i) => {
      const c = Math.min(1, C / (norms[i]! + 1e-6));
      g.forEach((v, k) => (k < 6 ? (sumW[k]! += c * v) : (sumB[k - 6]! += c * v)));
    });
    expect(norms.some((n) => n > C * 1.01) && norms.some((n) => n < C)).toBe(true);
    const warnings: string[] = [];
    resetSlowPathWarning();
    const g = layersModelPrivateGradient(model, tf.tensor2d(xs), tf.tensor2d(ys), sqLoss, {
      clipNorm: C, noiseMultiplier: 0, expectedBatchSize: 1, step: 0, random: seededRandom(1), warn: (m) => void warnings.push(m),
    });
    expect(warnings.length).toBe(1);
    expect(relErr(g.norms, norms)).toBeLessThan(1e-5);
    const names = [...layersModelParams(model).keys()];
    expect(relErr(g.grads.get(names[0]!)!.dataSync(), sumW)).toBeLessThan(1e-5);
    expect(relErr(g.grads.get(names[1]!)!.dataSync(), sumB)).toBeLessThan(1e-5);
  });

  it('trains with Poisson batches and composes one ledger event per step', async () => {
    const model = linearModel();
    const r = seededRandom('data');
    const xs = tf.tensor2d(Array.from({ length: 40 }, () => [r.uniform(), r.uniform(), r.uniform()]));
    const ys = tf.tidy(() => tf.matMul(xs, tf.tensor2d([[1, 0], [0, 1], [1, 1]])));
    const before = tf.tidy(() => sqLoss(ys, model.predict(xs) as tf.Tensor).dataSync()[0]!);
    const out = await trainLayersModelPrivately(model, xs, ys, {
      loss: sqLoss, samplingRate: 0.2, steps: 30, clipNorm: 1, noiseMultiplier: 1.1, delta: 1e-3,
      optimizer: { name: 'adam', learningRate: 0.05 }, random: seededRandom('train'), warn: () => undefined,
    });
    expect(out.steps).toBe(30);
    expect(out.ledger.steps).toBe(30);
    expect(out.epsilon).toBe(out.ledger.epsilon(1e-3).epsilon);
    const after = tf.tidy(() => sqLoss(ys, model.predict(xs) as tf.Tensor).dataSync()[0]!);
    expect(after).toBeLessThan(before);
  });
});
