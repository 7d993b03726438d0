// A small GPT built as YOUR OWN tf.LayersModel from dp-canary's transformer layers
// (causalSelfAttention, positionEmbedding) and tfjs-layers' own (Embedding, LayerNormalization,
// Dense with 'gelu', add), trained with DP-SGD by fitPrivately to predict the next character of
// a few lines of text. Run: node examples/gpt.mjs   (a few seconds on 2 cores)
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend, fitPrivately, evaluateModel, perExampleLoss, causalSelfAttention, positionEmbedding } from 'dp-canary/dpsgd';

await initBackend();
const text = [
  'the quick brown fox jumps over the lazy dog.',
  'a stitch in time saves nine.',
  'all that glitters is not gold.',
  'the early bird catches the worm.',
].join(' ').repeat(6);
const chars = [...new Set(text)].sort();
const ids = [...text].map((c) => chars.indexOf(c));

// Windows of T + 1 characters: the model reads T and predicts each next one.
const T = 16;
const xs = [];
const ys = [];
for (let s = 0; s + T + 1 <= ids.length; s += 3) {
  xs.push(ids.slice(s, s + T));
  ys.push(ids.slice(s + 1, s + T + 1));
}
const x = tf.tensor2d(xs, undefined, 'int32');
const y = tf.tensor2d(ys, undefined, 'int32');

/** Embedding + positions -> blocks of (LayerNorm, attention, residual, LayerNorm, MLP, residual) -> LayerNorm -> softmax. */
function gpt({ vocab, d = 32, heads = 4, ffn = 64, blocks = 2 }) {
  const input = tfl.input({ shape: [T], dtype: 'int32' });
  let h = tfl.layers.embedding({ inputDim: vocab, outputDim: d }).apply(input);
  h = positionEmbedding({ maxLength: T }).apply(h);
  for (let b = 0; b < blocks; b++) {
    const a = causalSelfAttention({ heads }).apply(tfl.layers.layerNormalization().apply(h));
    h = tfl.layers.add().apply([h, a]);
    const f = tfl.layers.dense({ units: ffn, activation: 'gelu' }).apply(tfl.layers.layerNormalization().apply(h));
    h = tfl.layers.add().apply([h, tfl.layers.dense({ units: d }).apply(f)]);
  }
  const out = tfl.layers.dense({ units: vocab, activation: 'softmax' }).apply(tfl.layers.layerNormalization().apply(h));
  return tfl.model({ inputs: input, outputs: out });
}

const model = gpt({ vocab: chars.length });
const loss = perExampleLoss('sparseCategoricalCrossentropy');
const before = evaluateModel(model, x, y, loss, true);
const r = await fitPrivately(model, x, y, {
  loss: 'sparseCategoricalCrossentropy',
  optimizer: tf.train.adam(0.02),
  epochs: 6,
  batchSize: 32,
  clipNorm: 1,
  noiseMultiplier: 0.8,
  seed: 'gpt-example', // reproducible (and so NOT a privacy guarantee); leave out for real runs
  callbacks: { onEpochEnd: (e, logs) => console.log(`epoch ${e + 1}: loss ${logs.loss.toFixed(3)}, epsilon ${logs.epsilon.toFixed(2)}`) },
});
const after = evaluateModel(model, x, y, loss, true);

// Greedy continuation of a prompt, T characters of context at a time.
let out = 'the early bird ';
for (let k = 0; k < 20; k++) {
  const ctx = [...out.slice(-T).padStart(T, ' ')].map((c) => Math.max(0, chars.indexOf(c)));
  const next = tf.tidy(() => tf.argMax(tf.slice(model.predict(tf.tensor2d([ctx], [1, T], 'int32')), [0, T - 1, 0], [1, 1, -1]), -1).dataSync()[0]);
  out += chars[next];
}
console.log(`${x.shape[0]} windows of ${T} characters, ${chars.length} symbols, ${r.steps} steps (${r.mode} per-example clipping)`);
console.log(`GPT DP-SGD (sigma ${r.noiseMultiplier}, clip 1): loss ${before.loss.toFixed(3)} -> ${after.loss.toFixed(3)}, accuracy ${(100 * after.acc).toFixed(1)}%, epsilon ${r.epsilon.toFixed(2)} at delta ${r.delta}`);
console.log(`greedy continuation: "${out}"`);
