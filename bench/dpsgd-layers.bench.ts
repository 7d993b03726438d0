/**
 * `npm run bench -- dpsgd.layers`: what DP-SGD costs per step on a user's own tf.LayersModel,
 * measured side by side in one run: a DP step (fitPrivately's step: forward through the layer
 * rules with captured pre-activations, backward to the captures, per-example norms, clipped
 * sum, Gaussian noise from node:crypto, Adam update) against a non-private step (tfjs autodiff
 * on the weights of the model itself, same batch, Adam). Three models:
 * - mlp256: Dense 784-256 relu, Dense 10 softmax, batch 256;
 * - lstm64: Embedding 64x32, LSTM 128 (sequences), Dense 64 softmax per step, length 50, batch 64;
 * - cnn256: TF Privacy's MNIST tutorial CNN (Conv2D 16 8x8 stride 2 same, max pool 2/1,
 *   Conv2D 32 4x4 stride 2, max pool 2/1, Dense 32, Dense 10), 28x28x1, batch 256;
 * - gpt (key dpsgd.layers.gpt): a small GPT from dp-canary's exported layers (Embedding 64x64,
 *   positionEmbedding, 2 blocks of LayerNormalization, causalSelfAttention 4 heads, Add,
 *   LayerNormalization, Dense 256 gelu, Dense 64, Add; LayerNormalization, Dense 64 softmax),
 *   length 64, batch 64. Run it alone: DPC_BENCH_MODELS=gpt npm run bench -- dpsgd.layers
 * tfjs's wasm backend has no Conv2DBackpropFilter kernel, so tfjs autodiff cannot train the CNN
 * there: on wasm its non-private step is the layer-rule pass without norms or clipping. The GPT's
 * non-private step is that pass on every backend: tfjs autodiff through tfjs-layers'
 * LayerNormalization tiles gamma and beta to the input's shape, and tfjs differentiates Tile
 * with one Slice and one Add per repetition (4,096 of each per layer here), so a plain autodiff
 * step of this GPT took about 36 s on wasm against about 1 s for the DP step: a ratio against it
 * would flatter DP. The rule pass computes the same gradient with tf.moments, and it is what
 * fitPrivately({ private: false }) runs for a model whose trainable layers all have rules.
 * Times: medians of interleaved repetitions (2 shared cores: expect noise). Memory: peak tensor
 * bytes during one step (tf.profile's peakBytes, the model's weights included).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../src/dpsgd/backend.js';
import { privatizeGradient } from '../src/dpsgd/step-stages.js';
import { fastClippedChunk, plainChunk, tapsPlainChunk } from '../src/dpsgd/user-model/gradient.js';
import { perExampleLoss } from '../src/dpsgd/user-model/losses.js';
import { causalSelfAttention, positionEmbedding } from '../src/dpsgd/user-model/transformer-layers/index.js';
import { secureRandom, seededRandom } from '../src/util/random.js';
import { median, timeInterleaved } from './timing.js';

export const name = 'dpsgd.layers';

/**
 * The non-private step's gradient: tfjs autodiff on the model's weights, or (where the backend
 * cannot differentiate a layer: tfjs's wasm backend has no Conv2DBackpropFilter kernel) the
 * layer-rule pass without norms or clipping (every c_i = 1).
 */
type Baseline = 'autodiff' | 'taps';

interface Row {
  baseline: Baseline;
  backend: string;
  ratio: number;
  memoryRatio: number;
  dpMs: number;
  nonPrivateMs: number;
  dpPeakBytes: number;
  nonPrivatePeakBytes: number;
  batchSize: number;
  repetitions: number;
}

function random(shape: number[], seed: string, ints?: number): tf.Tensor {
  const r = seededRandom(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return ints ? tf.tensor(Int32Array.from({ length: n }, () => r.int(ints)), shape, 'int32') : tf.tensor(Float32Array.from({ length: n }, () => r.uniform()), shape);
}

async function measure(model: tfl.LayersModel, x: tf.Tensor, y: tf.Tensor, reps: number, baseline: Baseline): Promise<Row> {
  const B = y.shape[0];
  const loss = perExampleLoss('sparseCategoricalCrossentropy');
  const dpOpt = tf.train.adam(1e-3);
  const plainOpt = tf.train.adam(1e-3);
  const noise = secureRandom();
  let step = 0;
  const dpStep = (): void => {
    const g = fastClippedChunk(model, [x], y, loss, 1);
    const grads = privatizeGradient(g.sums, { noiseMultiplier: 1, clipNorm: 1, expectedBatchSize: B, step: step++, random: noise });
    dpOpt.applyGradients(Object.fromEntries(grads) as Record<string, tf.Variable>); // tfjs types gradients as Variables
    tf.dispose([...grads.values()]);
  };
  const plainStep = (): void => {
    const g = baseline === 'autodiff' ? plainChunk(model, [x], y, loss) : tapsPlainChunk(model, [x], y, loss);
    const grads = Object.fromEntries([...g.sums].map(([n, t]) => [n, tf.div(t, B)]));
    plainOpt.applyGradients(grads as Record<string, tf.Variable>);
    tf.dispose([...g.sums.values(), ...Object.values(grads)]);
  };
  const first = model.trainableWeights[0]!.read();
  const { dp, plain } = await timeInterleaved({ dp: dpStep, plain: plainStep }, reps, () => first.dataSync()); // dataSync waits for queued work
  const plainPeak = (await tf.profile(plainStep)).peakBytes;
  const dpPeak = (await tf.profile(dpStep)).peakBytes;
  dpOpt.dispose();
  plainOpt.dispose();
  console.log(`  reps (ms): DP ${dp.map((v) => v.toFixed(0)).join(' ')} / non-private ${plain.map((v) => v.toFixed(0)).join(' ')}`);
  const dpMs = median(dp);
  const nonPrivateMs = median(plain);
  return { baseline, backend: tf.getBackend(), ratio: dpMs / nonPrivateMs, memoryRatio: dpPeak / plainPeak, dpMs, nonPrivateMs, dpPeakBytes: dpPeak, nonPrivatePeakBytes: plainPeak, batchSize: B, repetitions: reps };
}

/** The GPT of the gpt row: d = 64, 4 heads, FFN 256, 2 blocks, vocabulary 64, length 64. */
function gpt(): tfl.LayersModel {
  const [vocab, T, d, ffn] = [64, 64, 64, 256];
  const ids = tfl.input({ shape: [T], dtype: 'int32' });
  let h = tfl.layers.embedding({ inputDim: vocab, outputDim: d }).apply(ids) as tfl.SymbolicTensor;
  h = positionEmbedding({ maxLength: T }).apply(h) as tfl.SymbolicTensor;
  for (let b = 0; b < 2; b++) {
    const a = causalSelfAttention({ heads: 4 }).apply(tfl.layers.layerNormalization().apply(h)) as tfl.SymbolicTensor;
    h = tfl.layers.add().apply([h, a]) as tfl.SymbolicTensor;
    const f = tfl.layers.dense({ units: ffn, activation: 'gelu' }).apply(tfl.layers.layerNormalization().apply(h)) as tfl.SymbolicTensor;
    h = tfl.layers.add().apply([h, tfl.layers.dense({ units: d }).apply(f) as tfl.SymbolicTensor]) as tfl.SymbolicTensor;
  }
  const out = tfl.layers.dense({ units: vocab, activation: 'softmax' }).apply(tfl.layers.layerNormalization().apply(h)) as tfl.SymbolicTensor;
  return tfl.model({ inputs: ids, outputs: out });
}

const MODELS: { key: string; target: number; reps: number; build: () => { model: tfl.LayersModel; x: tf.Tensor; y: tf.Tensor } }[] = [
  {
    key: 'mlp256', target: 1.3, reps: 9,
    build: () => ({
      model: tfl.sequential({ layers: [tfl.layers.dense({ units: 256, activation: 'relu', inputShape: [784] }), tfl.layers.dense({ units: 10, activation: 'softmax' })] }),
      x: random([256, 784], 'mlp-x'),
      y: random([256], 'mlp-y', 10),
    }),
  },
  {
    key: 'lstm64', target: 1.3, reps: 5,
    build: () => ({
      model: tfl.sequential({ layers: [
        tfl.layers.embedding({ inputDim: 64, outputDim: 32, inputLength: 50 }),
        tfl.layers.lstm({ units: 128, returnSequences: true, recurrentInitializer: 'glorotUniform' }),
        tfl.layers.dense({ units: 64, activation: 'softmax' }),
      ] }),
      x: random([64, 50], 'lstm-x', 64),
      y: random([64, 50], 'lstm-y', 64),
    }),
  },
  {
    key: 'cnn256', target: 2.0, reps: 3,
    build: () => ({
      model: tfl.sequential({ layers: [
        tfl.layers.conv2d({ filters: 16, kernelSize: 8, strides: 2, padding: 'same', activation: 'relu', inputShape: [28, 28, 1] }),
        tfl.layers.maxPooling2d({ poolSize: 2, strides: 1 }),
        tfl.layers.conv2d({ filters: 32, kernelSize: 4, strides: 2, padding: 'valid', activation: 'relu' }),
        tfl.layers.maxPooling2d({ poolSize: 2, strides: 1 }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 32, activation: 'relu' }),
        tfl.layers.dense({ units: 10, activation: 'softmax' }),
      ] }),
      x: random([256, 28, 28, 1], 'cnn-x'),
      y: random([256], 'cnn-y', 10),
    }),
  },
  {
    key: 'gpt', target: 1.5, reps: 5,
    build: () => ({ model: gpt(), x: random([64, 64], 'gpt-x', 64), y: random([64, 64], 'gpt-y', 64) }),
  },
];

export async function run(): Promise<Record<string, unknown>> {
  const backend = await initBackend();
  console.log(`backend: ${backend.name} (${backend.reason})`);
  const only = (process.env.DPC_BENCH_MODELS ?? '').split(',').filter(Boolean);
  const out: Record<string, unknown> = { backend: backend.name };
  for (const m of MODELS) {
    if (only.length > 0 && !only.includes(m.key)) continue;
    const { model, x, y } = m.build();
    const baseline: Baseline = (tf.getBackend() === 'wasm' && m.key.startsWith('cnn')) || m.key === 'gpt' ? 'taps' : 'autodiff';
    const row = await measure(model, x, y, m.reps, baseline);
    tf.dispose([x, y]);
    model.dispose();
    out[m.key] = row;
    const mb = (v: number): string => (v / 2 ** 20).toFixed(1);
    console.log(
      `${m.key} (${row.backend}, non-private by ${baseline}): DP ${row.dpMs.toFixed(1)} ms, non-private ${row.nonPrivateMs.toFixed(1)} ms, time ratio ${row.ratio.toFixed(2)} (target <= ${m.target}); ` +
        `peak tensors ${mb(row.dpPeakBytes)} vs ${mb(row.nonPrivatePeakBytes)} MiB, memory ratio ${row.memoryRatio.toFixed(2)} (target <= 1.5)`,
    );
  }
  return out;
}
