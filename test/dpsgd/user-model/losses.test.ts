import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { useCpu } from '../helpers.js';
import { perExampleLoss } from '../../../src/dpsgd/user-model/losses.js';

beforeAll(useCpu);

const values = (t: tf.Tensor): number[] => Array.from(t.dataSync());

// Closed forms in nats: -ln p(label); binary -(y ln p + (1 - y) ln(1 - p)); softmax of
// logits [0, ln 4] is [0.2, 0.8]; sigmoid(ln 9) = 0.9. Each example is averaged over its positions.
describe('per-example losses', () => {
  it('sparse categorical cross-entropy, from probabilities and from logits, per sequence position', () => {
    const p = tf.tensor2d([[0.2, 0.8], [0.6, 0.4]]);
    expect(values(perExampleLoss('sparseCategoricalCrossentropy')(tf.tensor1d([1, 0], 'int32'), p))).toEqual([-Math.log(0.8), -Math.log(0.6)].map((v) => expect.closeTo(v, 6)));
    const logits = tf.tensor2d([[0, Math.log(4)]]);
    expect(values(perExampleLoss('sparseCategoricalCrossentropy', true)(tf.tensor2d([[0]], [1, 1], 'int32'), logits))[0]).toBeCloseTo(-Math.log(0.2), 6);
    // [B=1, T=2, C=2]: the mean of the two positions' losses.
    const seq = tf.tensor3d([[[0.2, 0.8], [0.6, 0.4]]]);
    expect(values(perExampleLoss('sparseCategoricalCrossentropy')(tf.tensor2d([[1, 1]], [1, 2], 'int32'), seq))[0]).toBeCloseTo((-Math.log(0.8) - Math.log(0.4)) / 2, 6);
  });

  it('categorical cross-entropy with one-hot targets', () => {
    const got = perExampleLoss('categoricalCrossentropy')(tf.tensor2d([[0, 1], [1, 0]]), tf.tensor2d([[0.2, 0.8], [0.6, 0.4]]));
    expect(values(got)).toEqual([-Math.log(0.8), -Math.log(0.6)].map((v) => expect.closeTo(v, 6)));
  });

  it('binary cross-entropy (mean over the last axis), from probabilities and from logits', () => {
    const want = (-Math.log(0.9) - Math.log(1 - 0.3)) / 2;
    expect(values(perExampleLoss('binaryCrossentropy')(tf.tensor2d([[1, 0]]), tf.tensor2d([[0.9, 0.3]])))[0]).toBeCloseTo(want, 6);
    const logit = (p: number): number => Math.log(p / (1 - p));
    expect(values(perExampleLoss('binaryCrossentropy', true)(tf.tensor2d([[1, 0]]), tf.tensor2d([[logit(0.9), logit(0.3)]])))[0]).toBeCloseTo(want, 5);
  });

  it('mean squared error over all of an example', () => {
    const got = perExampleLoss('meanSquaredError')(tf.tensor3d([[[1, 2], [3, 4]]]), tf.tensor3d([[[1, 0], [0, 4]]]));
    expect(values(got)[0]).toBeCloseTo((0 + 4 + 9 + 0) / 4, 6);
  });
});
