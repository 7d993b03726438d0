import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { bruteForce, randomWindows, relErr, tinyModel, useCpu } from './helpers.js';
import { clipPass } from '../../src/dpsgd/per-example/clip.js';
import { clipMaterialized, materializedPerExampleGradients } from '../../src/dpsgd/per-example/reference.js';
import type { NormMethod } from '../../src/dpsgd/per-example/types.js';
import { makeBatch } from '../../src/dpsgd/data.js';
import { dropoutMasks } from '../../src/dpsgd/gradient.js';
import { LanguageModel, parameterShapes, validateConfig, type LanguageModelConfig } from '../../src/dpsgd/model.js';
import { modelFromJson, modelToJson } from '../../src/dpsgd/model-io.js';
import { languageModelScorer } from '../../src/dpsgd/scorer.js';
import { forwardWithTaps } from '../../src/dpsgd/taps.js';
import { InvalidArgumentError } from '../../src/util/errors.js';
import { seededRandom } from '../../src/util/random.js';

beforeAll(useCpu);

// float32 throughout (see clipping.test.ts): 1e-5 relative has margin at these sizes.
const TOL = 1e-5;

const TINY: Partial<LanguageModelConfig> = { cell: 'transformer', vocabSize: 7, embeddingDim: 8, hiddenSize: 8, heads: 2, ffnSize: 12, layers: 2, maxLength: 6 };

/**
 * A tiny transformer with every weight moved by U(-0.5, 0.5): GPT-2's init (sd 0.02, gains 1,
 * biases 0) keeps pre-activations so small that GELU, attention and LayerNorm act almost linearly,
 * which would hide errors in them.
 */
function tinyTransformer(over: Partial<LanguageModelConfig> = {}): LanguageModel {
  const model = tinyModel({ ...TINY, ...over });
  const r = seededRandom('perturb');
  for (const v of model.params.values()) {
    const data = Float32Array.from(v.dataSync(), (x) => x + 0.5 * (2 * r.uniform() - 1));
    tf.tidy(() => v.assign(tf.tensor(data, v.shape)));
  }
  return model;
}

/** Plain-JS forward of the transformer contract for one example: ids [T] -> logits [T][V] (float64). */
function referenceLogits(model: LanguageModel, ids: number[]): number[][] {
  const c = model.config;
  const d = c.hiddenSize;
  const H = c.heads!;
  const dh = d / H;
  const w = new Map([...model.weights()].map(([k, v]) => [k, Array.from(v)]));
  const W = (n: string): number[] => w.get(n)!;
  const T = ids.length;
  const affine = (x: number[][], m: number[], b: number[], out: number): number[][] =>
    x.map((row) => Array.from({ length: out }, (_, j) => row.reduce((s, xi, i) => s + xi * m[i * out + j]!, b[j]!)));
  const ln = (x: number[][], g: number[], b: number[]): number[][] =>
    x.map((row) => {
      const mean = row.reduce((s, v) => s + v, 0) / row.length;
      const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / row.length;
      return row.map((v, i) => ((v - mean) / Math.sqrt(variance + 1e-5)) * g[i]! + b[i]!);
    });
  const gelu = (u: number): number => 0.5 * u * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (u + 0.044715 * u ** 3)));
  let x = ids.map((id, t) => Array.from({ length: d }, (_, j) => W('embedding/table')[id * d + j]! + W('position/table')[t * d + j]!));
  for (let l = 0; l < c.layers; l++) {
    const p = `block${l}`;
    const qkv = affine(ln(x, W(`${p}/ln1/gamma`), W(`${p}/ln1/beta`)), W(`${p}/attn/Wqkv`), W(`${p}/attn/bqkv`), 3 * d);
    const o = Array.from({ length: T }, () => new Array<number>(d).fill(0));
    for (let h = 0; h < H; h++) {
      for (let t = 0; t < T; t++) {
        const scores: number[] = [];
        for (let s = 0; s <= t; s++) {
          let dot = 0;
          for (let j = 0; j < dh; j++) dot += qkv[t]![h * dh + j]! * qkv[s]![d + h * dh + j]!;
          scores.push(dot / Math.sqrt(dh));
        }
        const mx = Math.max(...scores);
        const e = scores.map((v) => Math.exp(v - mx));
        const z = e.reduce((a, b) => a + b, 0);
        for (let s = 0; s <= t; s++) for (let j = 0; j < dh; j++) o[t]![h * dh + j]! += (e[s]! / z) * qkv[s]![2 * d + h * dh + j]!;
      }
    }
    const attn = affine(o, W(`${p}/attn/Wo`), W(`${p}/attn/bo`), d);
    x = x.map((row, t) => row.map((v, j) => v + attn[t]![j]!));
    const hidden = affine(ln(x, W(`${p}/ln2/gamma`), W(`${p}/ln2/beta`)), W(`${p}/mlp/W1`), W(`${p}/mlp/b1`), c.ffnSize!).map((row) => row.map(gelu));
    const mlp = affine(hidden, W(`${p}/mlp/W2`), W(`${p}/mlp/b2`), d);
    x = x.map((row, t) => row.map((v, j) => v + mlp[t]![j]!));
  }
  return affine(ln(x, W('final/ln/gamma'), W('final/ln/beta')), W('output/W'), W('output/b'), c.vocabSize);
}

describe('transformer forward', () => {
  const model = tinyTransformer();
  const windows = randomWindows(3, 5, 7, 'fwd');

  it('agrees with a plain-JS re-implementation of the contract', () => {
    const batch = makeBatch(windows, [0, 1, 2], 7);
    const logits = model.forward(batch.inputs);
    expect(logits.shape).toEqual([5, 3, 7]);
    const got = logits.arraySync();
    const ids = batch.inputs.arraySync();
    for (let i = 0; i < 3; i++) {
      const want = referenceLogits(model, ids.map((row) => row[i]!));
      const flatGot = got.flatMap((row) => row[i]!);
      expect(relErr(flatGot, want.flat())).toBeLessThan(TOL);
    }
    tf.dispose([logits, batch.inputs, batch.targets]);
  });

  it('is causal: changing token t changes no logits at positions < t, and does change position t', () => {
    const T = 6;
    const base = [1, 4, 2, 6, 0, 3];
    const before = tf.tidy(() => model.forward(tf.tensor2d(base, [T, 1], 'int32')).arraySync());
    for (let t = 0; t < T; t++) {
      const changed = [...base];
      changed[t] = (changed[t]! + 1) % 7;
      const after = tf.tidy(() => model.forward(tf.tensor2d(changed, [T, 1], 'int32')).arraySync());
      for (let s = 0; s < t; s++) expect(after[s]![0]).toEqual(before[s]![0]);
      expect(relErr(after[t]![0]!, before[t]![0]!)).toBeGreaterThan(1e-4);
    }
  });

  it('refuses inputs longer than the position table, and bad configs, with InvalidArgumentError', () => {
    const ids = tf.zeros([7, 1], 'int32') as tf.Tensor2D;
    expect(() => model.forward(ids)).toThrow(/7 positions.*maxLength 6/);
    ids.dispose();
    const cfg = { ...TINY, dropout: 0 } as LanguageModelConfig;
    expect(() => validateConfig({ ...cfg, heads: 3 })).toThrow(InvalidArgumentError);
    expect(() => validateConfig({ ...cfg, embeddingDim: 4 })).toThrow(/embeddingDim/);
    expect(() => validateConfig({ ...cfg, maxLength: undefined })).toThrow(/maxLength/);
  });

  it('has the contract parameters in save order, initialised as GPT-2, and saves and loads bit-exactly', () => {
    const names = parameterShapes(model.config).map((p) => p.name);
    expect(names.slice(0, 4)).toEqual(['embedding/table', 'position/table', 'block0/ln1/gamma', 'block0/ln1/beta']);
    expect(names.slice(-4)).toEqual(['final/ln/gamma', 'final/ln/beta', 'output/W', 'output/b']);
    expect(names.length).toBe(2 + 12 * 2 + 4);
    const fresh = LanguageModel.create({ ...TINY, hiddenSize: 64, embeddingDim: 64, ffnSize: 64, vocabSize: 64, dropout: 0 } as LanguageModelConfig, seededRandom('init'));
    const sd = (n: string): number => {
      const v = Array.from(fresh.param(n).dataSync());
      return Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length);
    };
    expect(sd('block0/mlp/W1')).toBeCloseTo(0.02, 3);
    expect(sd('block0/attn/Wo')).toBeCloseTo(0.01, 3); // 0.02 / sqrt(2 * 2 layers)
    expect([...fresh.param('block1/ln2/gamma').dataSync()].every((x) => x === 1)).toBe(true);
    expect([...fresh.param('block1/mlp/b1').dataSync()].every((x) => x === 0)).toBe(true);
    const back = modelFromJson(JSON.parse(JSON.stringify(modelToJson(model))));
    expect(back.config).toEqual(model.config);
    for (const [n, v] of model.weights()) expect(back.param(n).dataSync()).toEqual(v);
    fresh.dispose();
    back.dispose();
  });
});

describe('transformer scorer', () => {
  it('gives the forward pass\'s next-token log-probabilities along a prefix, softmax(output/b) for the empty prefix, and refuses prefixes past maxLength', async () => {
    const model = tinyTransformer();
    const scorer = languageModelScorer(model);
    const seq = [3, 1, 4, 1, 5, 2];
    const logits = tf.tidy(() => tf.logSoftmax(model.forward(tf.tensor2d(seq, [6, 1], 'int32'))).arraySync());
    const bias = Array.from(model.param('output/b').dataSync());
    const lse = Math.log(bias.reduce((s, b) => s + Math.exp(b), 0));
    let r = await scorer.start([]);
    expect(relErr(r.logProbs, bias.map((b) => b - lse))).toBeLessThan(TOL);
    for (let n = 0; n < 6; n++) {
      const next = await scorer.advance(r.state, Int32Array.from([0, 0]), Int32Array.from([seq[n]!, (seq[n]! + 1) % 7]));
      scorer.dispose(r.state);
      r = next;
      expect(relErr(r.logProbs.subarray(0, 7), logits[n]![0]!)).toBeLessThan(TOL);
    }
    await expect(scorer.advance(r.state, Int32Array.from([0]), Int32Array.from([1]))).rejects.toThrow(/7 tokens.*maxLength 6/);
    await expect(scorer.start([1, 2, 3, 4, 5, 6, 0])).rejects.toThrow(InvalidArgumentError);
  });
});

describe('transformer per-example clipping', () => {
  const T = 5;
  const B = 3;
  const model = tinyTransformer({ dropout: 0.2 });
  const windows = randomWindows(B, T, 7, 'clip');
  windows[0]!.set([1, 1, 2, 1, 2, 1]); // repeated tokens: the embedding's [x_t == x_s] terms
  const masks = dropoutMasks(model, T, B, seededRandom('masks'));
  const unclipped = bruteForce(model, windows, Infinity, masks);
  const clip = [...unclipped.norms].sort((a, b) => a - b)[1]!;
  const brute = bruteForce(model, windows, clip, masks);

  it.each(['ghost', 'materialize', 'auto', 'reference'] as const)('norms and clipped sums of every parameter (%s), with dropout, equal one-example-at-a-time autodiff', (method) => {
    const batch = makeBatch(windows, [0, 1, 2], 7);
    const pass = forwardWithTaps(model, batch.inputs, batch.targets, masks);
    const r = method === 'reference' ? clipMaterialized(materializedPerExampleGradients(pass), clip) : clipPass(pass, clip, method as NormMethod);
    expect(relErr(Array.from(r.squaredNorms.dataSync(), Math.sqrt), unclipped.norms)).toBeLessThan(TOL);
    expect(new Set(r.sums.keys())).toEqual(new Set(model.params.keys()));
    for (const name of model.params.keys()) expect(relErr(r.sums.get(name)!.dataSync(), brute.sums.get(name)!), name).toBeLessThan(TOL);
    tf.dispose([r.squaredNorms, ...r.sums.values(), batch.inputs, batch.targets]);
    pass.dispose();
  });

  it('each LayerNorm gain has a nonzero per-example gradient (the scale rule is exercised)', () => {
    const batch = makeBatch(windows, [0, 1, 2], 7);
    const pass = forwardWithTaps(model, batch.inputs, batch.targets, masks);
    expect(pass.uses.filter((u) => u.kind === 'scale').map((u) => u.param)).toEqual(['block0/ln1/gamma', 'block0/ln2/gamma', 'block1/ln1/gamma', 'block1/ln2/gamma', 'final/ln/gamma']);
    const per = materializedPerExampleGradients(pass);
    for (const n of ['block0/ln1/gamma', 'final/ln/gamma', 'position/table']) expect(Math.max(...Array.from(per.get(n)!.dataSync(), Math.abs))).toBeGreaterThan(1e-4);
    tf.dispose([...per.values(), batch.inputs, batch.targets]);
    pass.dispose();
  });

  it('a tap pass and clipping leave no tensors behind', () => {
    const batch = makeBatch(windows, [0, 1, 2], 7);
    const before = tf.memory().numTensors;
    const pass = forwardWithTaps(model, batch.inputs, batch.targets, masks);
    const r = clipPass(pass, clip, 'auto');
    tf.dispose([r.squaredNorms, ...r.sums.values()]);
    pass.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([batch.inputs, batch.targets]);
  });
});
