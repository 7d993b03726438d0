import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { useCpu } from '../helpers.js';
import { causalSelfAttention, positionEmbedding } from '../../../src/dpsgd/user-model/transformer-layers/index.js';
import { fitPrivately } from '../../../src/dpsgd/user-model/fit.js';
import { evaluateModel } from '../../../src/dpsgd/user-model/evaluate.js';
import { validateModel } from '../../../src/dpsgd/user-model/graph.js';
import { perExampleLoss } from '../../../src/dpsgd/user-model/losses.js';
import { InvalidArgumentError } from '../../../src/util/errors.js';
import { seedWeights, relErr, uniform } from './brute-force.js';
import { tinyGpt } from './gpt.js';

beforeAll(useCpu);

/** Row-major [rows, cols] view of a flat array. */
const at = (a: ArrayLike<number>, cols: number) => (r: number, c: number): number => a[r * cols + c]!;

/**
 * Plain-JS causal multi-head self-attention in float64: for each example, position t and head h,
 * scores over s <= t only, softmax, weighted values; then the output projection.
 */
function referenceAttention(x: Float32Array, [B, T, d]: number[], heads: number, w: { qkv: Float32Array; bqkv: Float32Array; out: Float32Array; bout: Float32Array }): Float64Array {
  const dh = d / heads;
  const Wqkv = at(w.qkv, 3 * d);
  const Wo = at(w.out, d);
  const y = new Float64Array(B * T * d);
  for (let b = 0; b < B; b++) {
    const X = (t: number, k: number): number => x[(b * T + t) * d + k]!;
    const qkv = Array.from({ length: T }, (_, t) => Array.from({ length: 3 * d }, (_, j) => {
      let s = w.bqkv[j]!;
      for (let k = 0; k < d; k++) s += X(t, k) * Wqkv(k, j);
      return s;
    }));
    for (let t = 0; t < T; t++) {
      const a = new Float64Array(d);
      for (let h = 0; h < heads; h++) {
        const scores = Array.from({ length: t + 1 }, (_, s) => {
          let dot = 0;
          for (let k = 0; k < dh; k++) dot += qkv[t]![h * dh + k]! * qkv[s]![d + h * dh + k]!;
          return dot / Math.sqrt(dh);
        });
        const max = Math.max(...scores);
        const e = scores.map((v) => Math.exp(v - max));
        const z = e.reduce((p, q) => p + q, 0);
        for (let s = 0; s <= t; s++) for (let k = 0; k < dh; k++) a[h * dh + k]! += (e[s]! / z) * qkv[s]![2 * d + h * dh + k]!;
      }
      for (let j = 0; j < d; j++) {
        let s = w.bout[j]!;
        for (let k = 0; k < d; k++) s += a[k]! * Wo(k, j);
        y[(b * T + t) * d + j] = s;
      }
    }
  }
  return y;
}

function weightsByName(layer: tfl.layers.Layer): Map<string, Float32Array> {
  return new Map(layer.weights.map((v) => [v.originalName.split('/').pop()!, v.read().dataSync() as Float32Array]));
}

describe('causalSelfAttention', () => {
  it('matches a plain-JS reference of causal multi-head attention', () => {
    const shape = [3, 5, 6];
    for (const heads of [1, 2, 3]) {
      const input = tfl.input({ shape: [5, 6] });
      const layer = causalSelfAttention({ heads });
      const model = tfl.model({ inputs: input, outputs: layer.apply(input) as tfl.SymbolicTensor });
      seedWeights(model, `attention-${heads}`);
      const x = uniform(shape, 'x-attention');
      const y = model.predict(x) as tf.Tensor;
      expect(y.shape).toEqual(shape);
      const w = weightsByName(layer);
      const want = referenceAttention(x.dataSync() as Float32Array, shape, heads, { qkv: w.get('qkv_kernel')!, bqkv: w.get('qkv_bias')!, out: w.get('output_kernel')!, bout: w.get('output_bias')! });
      expect(relErr(y.dataSync(), want), `heads ${heads}`).toBeLessThanOrEqual(1e-5);
      tf.dispose([x, y]);
      model.dispose();
    }
  });

  it('is causal: changing position s changes no output before s, and changes the output at s', () => {
    const layer = causalSelfAttention({ heads: 2, useBias: false });
    const x = uniform([1, 6, 4], 'x-causal');
    const y = layer.apply(x) as tf.Tensor;
    expect(layer.weights.map((w) => w.originalName.split('/').pop())).toEqual(['qkv_kernel', 'output_kernel']);
    const s = 3;
    const bumped = tf.add(x, tf.reshape(tf.oneHot(tf.tensor1d([s], 'int32'), 6), [1, 6, 1]));
    const y2 = layer.apply(bumped) as tf.Tensor;
    const diff = tf.max(tf.abs(tf.sub(y, y2)), 2).dataSync();
    for (let t = 0; t < s; t++) expect(diff[t], `position ${t}`).toBe(0);
    expect(diff[s]).toBeGreaterThan(1e-4);
  });

  it('refuses a width that does not split into the heads, and a bad head count', () => {
    const input = tfl.input({ shape: [5, 6] });
    expect(() => causalSelfAttention({ heads: 4 }).apply(input)).toThrow(/width 6 does not split into 4 heads/);
    expect(() => causalSelfAttention({ heads: 0 })).toThrow(InvalidArgumentError);
    expect(() => causalSelfAttention({ heads: 2 }).apply(tfl.input({ shape: [6] }))).toThrow(/\[batch, positions, width\]/);
  });
});

describe('positionEmbedding', () => {
  it('adds table row t at position t to every example', () => {
    const layer = positionEmbedding({ maxLength: 7 });
    const x = uniform([2, 4, 3], 'x-pos');
    const y = layer.apply(x) as tf.Tensor;
    const table = layer.getWeights()[0]!;
    expect(table.shape).toEqual([7, 3]);
    const tv = table.dataSync();
    const xv = x.dataSync();
    const want = Array.from(xv, (v, i) => v + tv[Math.floor(i / 3) % 4 * 3 + (i % 3)]!);
    expect(relErr(y.dataSync(), want)).toBeLessThanOrEqual(1e-6);
  });

  it('refuses more positions than maxLength, when built and when called', () => {
    expect(() => positionEmbedding({ maxLength: 4 }).apply(tfl.input({ shape: [5, 3] }))).toThrow(/5 positions but the position table has maxLength 4/);
    const layer = positionEmbedding({ maxLength: 4 });
    const input = tfl.input({ shape: [null, 3] });
    const model = tfl.model({ inputs: input, outputs: layer.apply(input) as tfl.SymbolicTensor });
    expect((model.predict(uniform([1, 4, 3], 'x-short')) as tf.Tensor).shape).toEqual([1, 4, 3]);
    expect(() => model.predict(uniform([1, 6, 3], 'x-long'))).toThrow(InvalidArgumentError);
    model.dispose();
    expect(() => positionEmbedding({ maxLength: 0 })).toThrow(/maxLength must be an integer >= 1/);
  });
});

describe('a GPT built from the layers', () => {
  const shape = { vocab: 6, T: 8, d: 8, heads: 2, ffn: 16, blocks: 2 };

  it('saves and loads (the layers are registered for serialization)', async () => {
    const model = tinyGpt(shape);
    seedWeights(model, 'save-load');
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    expect(JSON.stringify(saved!.modelTopology)).toContain('CausalSelfAttention');
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
    const x = tf.tensor2d([[0, 1, 2, 3, 4, 5, 0, 1], [5, 4, 3, 2, 1, 0, 5, 4]], undefined, 'int32');
    const a = model.predict(x) as tf.Tensor;
    const b = loaded.predict(x) as tf.Tensor;
    expect(relErr(b.dataSync(), a.dataSync())).toBe(0);
    expect(loaded.layers.map((l) => l.getClassName())).toEqual(model.layers.map((l) => l.getClassName()));
    expect(validateModel(loaded, false)).toBe('fast');
  });

  it('learns next-character prediction with fitPrivately (the fast path, per-example clipping)', async () => {
    // Windows of a periodic text: each next character is determined by the previous one.
    const text = 'abcdefabcdef'.repeat(40);
    const chars = [...new Set(text)];
    const ids = [...text].map((c) => chars.indexOf(c));
    const rows = 128;
    const xs: number[][] = [];
    const ys: number[][] = [];
    for (let i = 0; i < rows; i++) {
      const s = (i * 3) % (ids.length - shape.T - 1);
      xs.push(ids.slice(s, s + shape.T));
      ys.push(ids.slice(s + 1, s + shape.T + 1));
    }
    const x = tf.tensor2d(xs, undefined, 'int32');
    const y = tf.tensor2d(ys, undefined, 'int32');
    const model = tinyGpt(shape);
    expect(validateModel(model, false)).toBe('fast');
    const loss = perExampleLoss('sparseCategoricalCrossentropy');
    const before = evaluateModel(model, x, y, loss, true).loss;
    const r = await fitPrivately(model, x, y, {
      loss: 'sparseCategoricalCrossentropy', optimizer: tf.train.adam(0.01), epochs: 4, batchSize: 32,
      clipNorm: 1, noiseMultiplier: 0.5, seed: 'gpt-fit', warn: () => undefined,
    });
    const after = evaluateModel(model, x, y, loss, true).loss;
    expect(r.mode).toBe('fast');
    expect(r.epsilon).toBeGreaterThan(0);
    expect(Number.isFinite(r.epsilon)).toBe(true);
    expect(after).toBeLessThan(0.5 * before);
  });
});
