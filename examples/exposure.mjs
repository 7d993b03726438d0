// Exposure of a secret in YOUR OWN next-token tf.LayersModel: insert a canary into a small text,
// train a character LSTM on it (without DP, and with DP-SGD), and compute the canary's exact
// exposure (Carlini et al. 2019) by scoring all 10^3 secrets of its format.
// Run: node examples/exposure.mjs            (about 20 s on 2 cores)
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend, fitPrivately, layersModelScorer } from 'dp-canary/dpsgd';
import { parseFormat, fillFormat, symbolsFromSecret, secretIndex, openSecretModel, closeSecretModel, enumerateLogPerplexities, exactExposures } from 'dp-canary/canary';

await initBackend();
const format = parseFormat('my pin is {digits:3}');
const secret = '482';
const base = 'the quick brown fox jumps over the lazy dog. a stitch in time saves nine. ';
const text = Array.from({ length: 45 }, (_, i) => base + (i % 3 === 0 ? `${fillFormat(format, secret)}. ` : '')).join('');
const chars = [...new Set([...text, ...format.alphabet])].sort();
const id = new Map(chars.map((c, i) => [c, i]));
const ids = [...text].map((c) => id.get(c));

// Windows of 24 characters: the model reads 23 and predicts each next one.
const L = 24;
const windows = [];
for (let s = 0; s + L <= ids.length; s += L) windows.push(ids.slice(s, s + L));
const x = tf.tensor2d(windows.map((w) => w.slice(0, -1)), undefined, 'int32');
const y = tf.tensor2d(windows.map((w) => w.slice(1)), undefined, 'int32');

function languageModel() {
  return tfl.sequential({ layers: [
    tfl.layers.embedding({ inputDim: chars.length, outputDim: 16, inputShape: [null] }), // any length, for scoring
    // glorotUniform: tfjs's default 'orthogonal' needs the chained ops that only the @tensorflow/tfjs bundle registers.
    tfl.layers.lstm({ units: 32, returnSequences: true, recurrentInitializer: 'glorotUniform' }),
    tfl.layers.dense({ units: chars.length, activation: 'softmax' }),
  ] });
}

async function exposureOf(model) {
  const sm = await openSecretModel(layersModelScorer(model), [...format.prefix].map((c) => id.get(c)), Int32Array.from(format.alphabet, (c) => id.get(c)), format.length);
  try {
    const all = await enumerateLogPerplexities(sm);
    return exactExposures(all, [secretIndex(symbolsFromSecret(format, secret), format.alphabet.length)])[0];
  } finally {
    closeSecretModel(sm);
  }
}

for (const isPrivate of [false, true]) {
  const model = languageModel();
  const r = await fitPrivately(model, x, y, {
    loss: 'sparseCategoricalCrossentropy',
    optimizer: tf.train.adam(0.01),
    epochs: 20,
    batchSize: 16,
    private: isPrivate,
    ...(isPrivate ? { clipNorm: 1, noiseMultiplier: 1 } : {}),
  });
  const e = await exposureOf(model);
  console.log(
    `${isPrivate ? `DP-SGD (epsilon ${r.epsilon.toFixed(1)})` : 'no DP (epsilon infinity)'}: canary "${fillFormat(format, secret)}" inserted 15 times ` +
      `has rank ${e.rank} of 1000, exposure ${e.exposure.toFixed(2)} bits (max ${Math.log2(1000).toFixed(2)})`,
  );
}
