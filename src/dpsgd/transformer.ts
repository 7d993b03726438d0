import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../util/errors.js';
import type { RandomSource } from '../util/random.js';
import { denseForward } from './layers/dense.js';
import { embeddingForward } from './layers/embedding.js';
import { layerNormForward } from './layers/layer-norm.js';
import { blockParamNames, blockTaps, transformerBlockForward } from './layers/transformer-block.js';
import type { DropoutMasks, TapRecorder, TapSpec } from './layers/types.js';

/** The shape of a transformer language model (a LanguageModelConfig with cell 'transformer'). */
export interface TransformerShape {
  readonly vocabSize: number;
  /** Model width d (= embeddingDim). */
  readonly hiddenSize: number;
  readonly layers: number;
  /** Attention heads, dividing hiddenSize. */
  readonly heads: number;
  /** Width of the MLP's hidden layer. */
  readonly ffnSize: number;
  /** Rows of the position table: the longest input. */
  readonly maxLength: number;
}

/** Parameter names and shapes, in save order (see docs/transformer contract). */
export function transformerParameterShapes(c: TransformerShape): Array<{ name: string; shape: number[] }> {
  const d = c.hiddenSize;
  const f = c.ffnSize;
  const out: Array<{ name: string; shape: number[] }> = [
    { name: 'embedding/table', shape: [c.vocabSize, d] },
    { name: 'position/table', shape: [c.maxLength, d] },
  ];
  for (let l = 0; l < c.layers; l++) {
    const n = blockParamNames(l);
    out.push(
      { name: n.ln1.gamma, shape: [d] },
      { name: n.ln1.beta, shape: [d] },
      { name: n.qkv.w, shape: [d, 3 * d] },
      { name: n.qkv.b, shape: [3 * d] },
      { name: n.proj.w, shape: [d, d] },
      { name: n.proj.b, shape: [d] },
      { name: n.ln2.gamma, shape: [d] },
      { name: n.ln2.beta, shape: [d] },
      { name: n.fc1.w, shape: [d, f] },
      { name: n.fc1.b, shape: [f] },
      { name: n.fc2.w, shape: [f, d] },
      { name: n.fc2.b, shape: [d] },
    );
  }
  out.push({ name: 'final/ln/gamma', shape: [d] }, { name: 'final/ln/beta', shape: [d] }, { name: 'output/W', shape: [d, c.vocabSize] }, { name: 'output/b', shape: [c.vocabSize] });
  return out;
}

/** A standard normal draw by Box-Muller from two uniforms of `random`. */
function normal(random: RandomSource): number {
  const u = 1 - random.uniform(); // in (0, 1]
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.uniform());
}

/**
 * GPT-2's initialisation: normal(0, 0.02) for tables and weights, 0.02 / sqrt(2 L) for the
 * residual projections (Wo, W2), biases and LayerNorm betas 0, LayerNorm gammas 1.
 */
export function transformerInitialValues(c: TransformerShape, name: string, size: number, random: RandomSource): Float32Array {
  const v = new Float32Array(size);
  if (name.endsWith('/gamma')) return v.fill(1);
  if (/\/(W\w*|table)$/.test(name)) {
    const sd = /\/(Wo|W2)$/.test(name) ? 0.02 / Math.sqrt(2 * c.layers) : 0.02;
    for (let k = 0; k < size; k++) v[k] = sd * normal(random);
  }
  return v;
}

/** Taps of a forward over T positions and B examples, in forward order. */
export function transformerTapSpecs(c: TransformerShape, T: number, B: number): TapSpec[] {
  const d = c.hiddenSize;
  const out: TapSpec[] = [{ name: 'embedding', shape: [T, B, d] }];
  for (let l = 0; l < c.layers; l++) {
    for (const t of blockTaps(l, d, c.ffnSize)) out.push({ name: t.name, shape: [T, B, t.width], bias: t.bias });
  }
  out.push({ name: 'final/ln', shape: [T, B, d], bias: 'final/ln/beta' });
  out.push({ name: 'output', shape: [T, B, c.vocabSize], bias: 'output/b' });
  return out;
}

/**
 * Dropout sites: `in0` the embeddings' sum, `block{l}/attn` and `block{l}/mlp` the residual
 * branches before they are added; all [T, B, d].
 */
export function transformerDropoutSites(c: TransformerShape, T: number, B: number): Array<{ name: string; shape: [number, number, number] }> {
  const shape: [number, number, number] = [T, B, c.hiddenSize];
  const out = [{ name: 'in0', shape }];
  for (let l = 0; l < c.layers; l++) out.push({ name: `block${l}/attn`, shape }, { name: `block${l}/mlp`, shape });
  return out;
}

/** Position ids [T, B] (int32): ids[t, i] = t. */
function positionIds(T: number, B: number): tf.Tensor2D {
  const ids = new Int32Array(T * B);
  for (let t = 0; t < T; t++) ids.fill(t, t * B, (t + 1) * B);
  return tf.tensor2d(ids, [T, B], 'int32');
}

/**
 * Logits [T, B, V] of a decoder-only transformer for ids [T, B] (int32), T <= maxLength.
 * With `rec`, taps are added and per-example gradient inputs recorded; the position table is an
 * embedding use of the 'embedding' tap with the positions as ids.
 */
export function transformerForward(
  c: TransformerShape,
  param: (name: string) => tf.Tensor,
  ids: tf.Tensor2D,
  opts: { rec?: TapRecorder; dropout?: DropoutMasks },
): tf.Tensor3D {
  const [T, B] = ids.shape;
  if (T > c.maxLength) throw new InvalidArgumentError(`transformer input of ${T} positions is longer than its position table (maxLength ${c.maxLength}).`);
  const { rec, dropout } = opts;
  const drop = (x: tf.Tensor3D, site: string): tf.Tensor3D => {
    const m = dropout?.get(site);
    return m ? (tf.mul(x, m) as tf.Tensor3D) : x;
  };
  const pos = positionIds(T, B);
  // The token embedding carries the tap; the position lookup shares it (same pre-activation x).
  let x = embeddingForward(param('embedding/table') as tf.Tensor2D, ids, 'embedding', 'embedding/table', rec);
  x = tf.add(x, tf.gather(param('position/table'), pos) as tf.Tensor3D);
  if (rec && rec.taps.has('embedding')) rec.uses.push({ kind: 'embedding', param: 'position/table', tap: 'embedding', ids: tf.keep(pos), vocabSize: c.maxLength, ownsIds: true });
  x = drop(x, 'in0');
  for (let l = 0; l < c.layers; l++) x = transformerBlockForward(x, l, c.heads, param, drop, rec);
  const names = { gamma: 'final/ln/gamma', beta: 'final/ln/beta' };
  const h = layerNormForward(x, param(names.gamma) as tf.Tensor1D, param(names.beta) as tf.Tensor1D, 'final/ln', names, rec);
  return denseForward(h, param('output/W') as tf.Tensor2D, param('output/b') as tf.Tensor1D, 'output', { w: 'output/W', b: 'output/b' }, rec);
}
