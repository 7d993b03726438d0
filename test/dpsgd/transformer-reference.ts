/**
 * An independent transformer for tests: the model contract's parameter names and shapes, random
 * weights for them, and the full forward in plain float64 loops (no tfjs), for tiny sizes.
 */
import * as tf from '@tensorflow/tfjs-core';
import { seededRandom } from '../../src/util/random.js';

export interface TinyTransformer {
  vocabSize: number;
  hiddenSize: number;
  layers: number;
  heads: number;
  ffnSize: number;
  maxLength: number;
}

/** The contract's parameters, in its order. */
export function contractShapes(c: TinyTransformer): Array<{ name: string; shape: number[] }> {
  const d = c.hiddenSize;
  const out = [
    { name: 'embedding/table', shape: [c.vocabSize, d] },
    { name: 'position/table', shape: [c.maxLength, d] },
  ];
  for (let l = 0; l < c.layers; l++) {
    const b = `block${l}`;
    out.push(
      { name: `${b}/ln1/gamma`, shape: [d] },
      { name: `${b}/ln1/beta`, shape: [d] },
      { name: `${b}/attn/Wqkv`, shape: [d, 3 * d] },
      { name: `${b}/attn/bqkv`, shape: [3 * d] },
      { name: `${b}/attn/Wo`, shape: [d, d] },
      { name: `${b}/attn/bo`, shape: [d] },
      { name: `${b}/ln2/gamma`, shape: [d] },
      { name: `${b}/ln2/beta`, shape: [d] },
      { name: `${b}/mlp/W1`, shape: [d, c.ffnSize] },
      { name: `${b}/mlp/b1`, shape: [c.ffnSize] },
      { name: `${b}/mlp/W2`, shape: [c.ffnSize, d] },
      { name: `${b}/mlp/b2`, shape: [d] },
    );
  }
  out.push(
    { name: 'final/ln/gamma', shape: [d] },
    { name: 'final/ln/beta', shape: [d] },
    { name: 'output/W', shape: [d, c.vocabSize] },
    { name: 'output/b', shape: [c.vocabSize] },
  );
  return out;
}

/**
 * Random weights of an order that makes every part matter: matrices uniform(-0.6, 0.6) (so
 * attention is far from uniform), biases and betas uniform(-0.5, 0.5), gammas in (0.5, 1.5).
 */
export function randomContractWeights(c: TinyTransformer, seed: string): Map<string, Float32Array> {
  const r = seededRandom(seed);
  const out = new Map<string, Float32Array>();
  for (const { name, shape } of contractShapes(c)) {
    const v = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < v.length; i++) {
      const u = 2 * r.uniform() - 1;
      v[i] = name.endsWith('/gamma') ? 1 + 0.5 * u : shape.length === 1 || name.endsWith('/beta') ? 0.5 * u : 0.6 * u;
    }
    out.set(name, v);
  }
  return out;
}

/** The weights as tensors, a parameter lookup for transformerScorer, and a way to free them. */
export function tensorWeights(c: TinyTransformer, weights: ReadonlyMap<string, Float32Array>): { param(name: string): tf.Tensor; dispose(): void } {
  const tensors = new Map(contractShapes(c).map(({ name, shape }) => [name, tf.tensor(weights.get(name)!, shape, 'float32')]));
  return {
    param: (name: string) => tensors.get(name)!,
    dispose: () => tf.dispose([...tensors.values()]),
  };
}

type Vec = Float64Array;

function layerNorm(x: Vec, gamma: Float32Array, beta: Float32Array): Vec {
  let mean = 0;
  for (const a of x) mean += a / x.length;
  let variance = 0;
  for (const a of x) variance += (a - mean) ** 2 / x.length;
  return x.map((a, i) => ((a - mean) / Math.sqrt(variance + 1e-5)) * gamma[i]! + beta[i]!);
}

/** x W + b for x [n], W [n, k] row-major. */
function affine(x: Vec, W: Float32Array, b: Float32Array): Vec {
  const k = b.length;
  const out = Float64Array.from(b);
  for (let i = 0; i < x.length; i++) for (let j = 0; j < k; j++) out[j]! += x[i]! * W[i * k + j]!;
  return out;
}

/** Log-softmax of the next token after each prefix ids[0..t], [T][V], by the contract's full forward. */
export function referenceLogProbs(c: TinyTransformer, w: ReadonlyMap<string, Float32Array>, ids: readonly number[]): Vec[] {
  const d = c.hiddenSize;
  const dh = d / c.heads;
  const g = (name: string): Float32Array => w.get(name)!;
  let xs: Vec[] = ids.map((id, t) => Float64Array.from({ length: d }, (_, j) => g('embedding/table')[id * d + j]! + g('position/table')[t * d + j]!));
  for (let l = 0; l < c.layers; l++) {
    const b = `block${l}`;
    const qkv = xs.map((x) => affine(layerNorm(x, g(`${b}/ln1/gamma`), g(`${b}/ln1/beta`)), g(`${b}/attn/Wqkv`), g(`${b}/attn/bqkv`)));
    xs = xs.map((x, t) => {
      const o = new Float64Array(d);
      for (let h = 0; h < c.heads; h++) {
        const scores = Array.from({ length: t + 1 }, (_, u) => {
          let s = 0;
          for (let j = 0; j < dh; j++) s += qkv[t]![h * dh + j]! * qkv[u]![d + h * dh + j]!;
          return s / Math.sqrt(dh);
        });
        const top = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - top));
        const z = e.reduce((a, v) => a + v, 0);
        for (let u = 0; u <= t; u++) for (let j = 0; j < dh; j++) o[h * dh + j]! += (e[u]! / z) * qkv[u]![2 * d + h * dh + j]!;
      }
      const attn = affine(o, g(`${b}/attn/Wo`), g(`${b}/attn/bo`));
      const x1 = x.map((a, j) => a + attn[j]!);
      const u = affine(layerNorm(x1, g(`${b}/ln2/gamma`), g(`${b}/ln2/beta`)), g(`${b}/mlp/W1`), g(`${b}/mlp/b1`));
      const act = u.map((a) => 0.5 * a * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (a + 0.044715 * a ** 3))));
      const mlp = affine(act, g(`${b}/mlp/W2`), g(`${b}/mlp/b2`));
      return x1.map((a, j) => a + mlp[j]!);
    });
  }
  return xs.map((x) => {
    const logits = affine(layerNorm(x, g('final/ln/gamma'), g('final/ln/beta')), g('output/W'), g('output/b'));
    const top = Math.max(...logits);
    const lse = top + Math.log(logits.reduce((a, v) => a + Math.exp(v - top), 0));
    return logits.map((v) => v - lse);
  });
}
