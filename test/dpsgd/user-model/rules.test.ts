import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { useCpu } from '../helpers.js';
import { fastClippedChunk, exactClippedChunk } from '../../../src/dpsgd/user-model/gradient.js';
import { perExampleLoss, type LossName } from '../../../src/dpsgd/user-model/losses.js';
import { validateModel } from '../../../src/dpsgd/user-model/graph.js';
import { LAYER_RULES } from '../../../src/dpsgd/user-model/rules/index.js';
import { bruteForce, ints, relErr, seedWeights, uniform } from './brute-force.js';
import { tinyGpt } from './gpt.js';

beforeAll(useCpu);

interface Case {
  name: string;
  /** Layer kinds whose rule this case exercises. */
  covers: string[];
  model: () => tfl.LayersModel;
  x: () => tf.Tensor[];
  y: () => tf.Tensor;
  loss: LossName;
  fromLogits?: boolean;
}

const B = 6;

const cases: Case[] = [
  {
    name: 'MLP (Dense, Flatten, Activation, Reshape)',
    covers: ['Dense'],
    model: () => tfl.sequential({ layers: [
      tfl.layers.flatten({ inputShape: [2, 3] }),
      tfl.layers.dense({ units: 5, activation: 'tanh' }),
      tfl.layers.reshape({ targetShape: [5, 1] }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 4, useBias: false }),
      tfl.layers.activation({ activation: 'softmax' }),
    ] }),
    x: () => [uniform([B, 2, 3], 'x1')],
    y: () => ints([B], 4, 'y1'),
    loss: 'sparseCategoricalCrossentropy',
  },
  {
    name: 'Dense on sequences (T > 1) with MSE',
    covers: ['Dense'],
    model: () => tfl.sequential({ layers: [tfl.layers.dense({ units: 30, inputShape: [2, 30], activation: 'relu' }), tfl.layers.dense({ units: 3 })] }),
    x: () => [uniform([B, 2, 30], 'x2')],
    y: () => uniform([B, 2, 3], 'y2'),
    loss: 'meanSquaredError',
  },
  {
    name: 'Embedding + LSTM (sequences) + Dense per step',
    covers: ['Embedding', 'LSTM', 'Dense'],
    model: () => tfl.sequential({ layers: [
      tfl.layers.embedding({ inputDim: 40, outputDim: 4, inputLength: 5 }),
      tfl.layers.lstm({ units: 6, returnSequences: true, recurrentInitializer: 'glorotUniform' }),
      tfl.layers.dense({ units: 40, activation: 'softmax' }),
    ] }),
    x: () => [ints([B, 5], 40, 'x3')],
    y: () => ints([B, 5], 40, 'y3'),
    loss: 'sparseCategoricalCrossentropy',
  },
  {
    name: 'Embedding (small vocabulary) + GRU + Dense logits',
    covers: ['Embedding', 'GRU', 'Dense'],
    model: () => tfl.sequential({ layers: [
      tfl.layers.embedding({ inputDim: 5, outputDim: 3, inputLength: 4 }),
      tfl.layers.gru({ units: 5, recurrentInitializer: 'glorotUniform' }),
      tfl.layers.dense({ units: 3 }),
    ] }),
    x: () => [ints([B, 4], 5, 'x4')],
    y: () => tf.oneHot(ints([B], 3, 'y4') as tf.Tensor1D, 3),
    loss: 'categoricalCrossentropy',
    fromLogits: true,
  },
  {
    name: 'SimpleRNN + LayerNormalization + Dense (binary)',
    covers: ['SimpleRNN', 'LayerNormalization', 'Dense'],
    model: () => tfl.sequential({ layers: [
      tfl.layers.simpleRNN({ units: 5, inputShape: [4, 3], returnSequences: true, recurrentInitializer: 'glorotUniform' }),
      tfl.layers.layerNormalization(),
      tfl.layers.globalAveragePooling1d(),
      tfl.layers.dense({ units: 1, activation: 'sigmoid' }),
    ] }),
    x: () => [uniform([B, 4, 3], 'x5')],
    y: () => tf.cast(ints([B, 1], 2, 'y5'), 'float32'),
    loss: 'binaryCrossentropy',
  },
  {
    name: 'CNN: Conv2D (same, stride 2) + max pooling + Conv2D (valid, 2x1 kernel) + Dense',
    covers: ['Conv2D', 'Dense'],
    model: () => tfl.sequential({ layers: [
      tfl.layers.conv2d({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', inputShape: [9, 8, 2] }),
      tfl.layers.maxPooling2d({ poolSize: 2, strides: 1 }),
      tfl.layers.conv2d({ filters: 4, kernelSize: [2, 1], padding: 'valid' }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 3, activation: 'softmax' }),
    ] }),
    x: () => [uniform([B, 9, 8, 2], 'x6')],
    y: () => ints([B], 3, 'y6'),
    loss: 'sparseCategoricalCrossentropy',
  },
  {
    name: 'Conv1D (same, stride 2) + Conv1D (valid) + pooling + Dense (binary logits)',
    covers: ['Conv1D', 'Dense'],
    model: () => tfl.sequential({ layers: [
      tfl.layers.conv1d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', inputShape: [7, 2], activation: 'relu' }),
      tfl.layers.conv1d({ filters: 3, kernelSize: 2 }),
      tfl.layers.globalMaxPooling1d(),
      tfl.layers.dense({ units: 2 }),
    ] }),
    x: () => [uniform([B, 7, 2], 'x7')],
    y: () => tf.cast(ints([B, 2], 2, 'y7'), 'float32'),
    loss: 'binaryCrossentropy',
    fromLogits: true,
  },
  {
    name: 'tiny GPT: Embedding, PositionEmbedding, 2 blocks (LayerNormalization, CausalSelfAttention, Add, Dense gelu, Dense), softmax',
    covers: ['Embedding', 'PositionEmbedding', 'CausalSelfAttention', 'LayerNormalization', 'Dense'],
    model: () => tinyGpt({ vocab: 7, T: 5, d: 4, heads: 2, ffn: 6, blocks: 2 }),
    x: () => [ints([B, 5], 7, 'x9')],
    y: () => ints([B, 5], 7, 'y9'),
    loss: 'sparseCategoricalCrossentropy',
  },
  {
    name: 'functional: two inputs, branches, concatenate, a nested Sequential',
    covers: ['Dense', 'LayerNormalization', 'Embedding', 'LSTM'],
    model: () => {
      const a = tfl.input({ shape: [3] });
      const b = tfl.input({ shape: [4] });
      const left = tfl.layers.dense({ units: 4, activation: 'relu' }).apply(a) as tfl.SymbolicTensor;
      const right = tfl.sequential({ layers: [
        tfl.layers.embedding({ inputDim: 9, outputDim: 3, inputShape: [4] }),
        tfl.layers.lstm({ units: 4, recurrentInitializer: 'glorotUniform' }),
      ] }).apply(b) as tfl.SymbolicTensor;
      const joined = tfl.layers.concatenate().apply([left, right]) as tfl.SymbolicTensor;
      const normed = tfl.layers.layerNormalization().apply(joined) as tfl.SymbolicTensor;
      const out = tfl.layers.dense({ units: 2, activation: 'softmax' }).apply(normed) as tfl.SymbolicTensor;
      return tfl.model({ inputs: [a, b], outputs: out });
    },
    x: () => [uniform([B, 3], 'x8a'), ints([B, 4], 9, 'x8b')],
    y: () => ints([B], 2, 'y8'),
    loss: 'sparseCategoricalCrossentropy',
  },
];

describe('per-layer clipping rules against a one-example-at-a-time brute force', () => {
  it('every registered rule is covered by a case', () => {
    const covered = new Set(cases.flatMap((c) => c.covers));
    expect([...LAYER_RULES.keys()].filter((k) => !covered.has(k))).toEqual([]);
  });

  for (const c of cases) {
    for (const method of ['auto', 'ghost', 'materialize'] as const) {
      it(`${c.name}: norms and clipped sums (${method})`, () => {
        const model = c.model();
        seedWeights(model, c.name);
        expect(validateModel(model, false)).toBe('fast');
        const x = c.x();
        const y = c.y();
        const loss = perExampleLoss(c.loss, c.fromLogits);
        const ref = bruteForce(model, x, y, loss, Infinity);
        // A clip norm between the smallest and largest norm, so some examples are clipped.
        const sorted = [...ref.norms].sort((a, b) => a - b);
        const C = (sorted[1]! + sorted[B - 2]!) / 2;
        const clipped = bruteForce(model, x, y, loss, C);
        const got = fastClippedChunk(model, x, y, loss, C, method);
        expect(x.some((t) => t.isDisposed) || y.isDisposed).toBe(false);
        expect(relErr(got.norms, ref.norms)).toBeLessThanOrEqual(1e-5);
        expect(sorted[0]!).toBeLessThan(C);
        expect(sorted[B - 1]!).toBeGreaterThan(C);
        for (const [name, want] of clipped.sums) {
          const have = got.sums.get(name);
          expect(have, name).toBeDefined();
          expect(relErr(have!.dataSync(), want), name).toBeLessThanOrEqual(1e-5);
        }
        if (method === 'auto') {
          // Without clipping, the rule pass gives the plain gradient sum (what non-private runs use).
          const plain = fastClippedChunk(model, x, y, loss, Infinity, 'auto', false);
          expect(plain.norms.length).toBe(0);
          for (const [name, want] of ref.sums) expect(relErr(plain.sums.get(name)!.dataSync(), want), name).toBeLessThanOrEqual(1e-5);
          tf.dispose([...plain.sums.values()]);
        }
        tf.dispose([...x, y, ...got.sums.values()]);
        model.dispose();
      });
    }
  }

  it('the exact fallback agrees with the brute force too', () => {
    const c = cases[5]!;
    const model = c.model();
    seedWeights(model, 'fallback');
    const x = c.x();
    const y = c.y();
    const loss = perExampleLoss(c.loss);
    const ref = bruteForce(model, x, y, loss, 0.5);
    const got = exactClippedChunk(model, x, y, loss, 0.5);
    for (const [name, want] of ref.sums) expect(relErr(got.sums.get(name)!.dataSync(), want), name).toBeLessThanOrEqual(1e-5);
  });
});

describe('model validation', () => {
  it('refuses BatchNormalization with a message that suggests LayerNormalization', () => {
    const m = tfl.sequential({ layers: [tfl.layers.dense({ units: 3, inputShape: [2] }), tfl.layers.batchNormalization(), tfl.layers.dense({ units: 1 })] });
    expect(() => validateModel(m, false)).toThrow(/batch_normalization.*LayerNormalization/);
    expect(() => validateModel(m, true)).toThrow(/LayerNormalization/);
  });

  it('names a trainable layer without a rule, and accepts it with exactFallback', () => {
    const m = tfl.sequential({ layers: [tfl.layers.depthwiseConv2d({ kernelSize: 2, inputShape: [4, 4, 1] }), tfl.layers.flatten(), tfl.layers.dense({ units: 1 })] });
    expect(() => validateModel(m, false)).toThrow(/layer 'depthwise_conv2d.*' \(DepthwiseConv2D\).*exactFallback/);
    expect(validateModel(m, true)).toBe('exact');
  });

  it('refuses configurations a rule does not reproduce (recurrent dropout, shared layers)', () => {
    const m = tfl.sequential({ layers: [tfl.layers.lstm({ units: 2, inputShape: [3, 2], recurrentDropout: 0.1, recurrentInitializer: 'glorotUniform' })] });
    expect(() => validateModel(m, false)).toThrow(/dropout inside the recurrent layer/);
    const shared = tfl.layers.dense({ units: 2 });
    const a = tfl.input({ shape: [2] });
    const out = shared.apply(shared.apply(a)) as tfl.SymbolicTensor;
    expect(() => validateModel(tfl.model({ inputs: a, outputs: out }), false)).toThrow(/more than one place/);
  });

  it('frozen layers need no rule', () => {
    const frozen = tfl.layers.depthwiseConv2d({ kernelSize: 2, inputShape: [4, 4, 1], trainable: false });
    const m = tfl.sequential({ layers: [frozen, tfl.layers.flatten(), tfl.layers.dense({ units: 1 })] });
    expect(validateModel(m, false)).toBe('fast');
  });
});
