import * as tf from '@tensorflow/tfjs-core';
import { causalSelfAttention } from './attention.js';
import { denseForward } from './dense.js';
import { gelu } from './gelu.js';
import { layerNormForward } from './layer-norm.js';
import type { TapRecorder } from './types.js';

/** Parameter names of block l (see transformer-spec: `block{l}/...`). */
export function blockParamNames(l: number) {
  const p = `block${l}`;
  return {
    ln1: { gamma: `${p}/ln1/gamma`, beta: `${p}/ln1/beta` },
    qkv: { w: `${p}/attn/Wqkv`, b: `${p}/attn/bqkv` },
    proj: { w: `${p}/attn/Wo`, b: `${p}/attn/bo` },
    ln2: { gamma: `${p}/ln2/gamma`, beta: `${p}/ln2/beta` },
    fc1: { w: `${p}/mlp/W1`, b: `${p}/mlp/b1` },
    fc2: { w: `${p}/mlp/W2`, b: `${p}/mlp/b2` },
  } as const;
}

/** Tap names of block l with the width of each (d model width, f FFN width), in forward order. */
export function blockTaps(l: number, d: number, f: number): Array<{ name: string; width: number; bias: string }> {
  const n = blockParamNames(l);
  const p = `block${l}`;
  return [
    { name: `${p}/ln1`, width: d, bias: n.ln1.beta },
    { name: `${p}/qkv`, width: 3 * d, bias: n.qkv.b },
    { name: `${p}/proj`, width: d, bias: n.proj.b },
    { name: `${p}/ln2`, width: d, bias: n.ln2.beta },
    { name: `${p}/fc1`, width: f, bias: n.fc1.b },
    { name: `${p}/fc2`, width: d, bias: n.fc2.b },
  ];
}

/**
 * One pre-LayerNorm transformer block (GPT-2), time-major x [T, B, d] -> [T, B, d]:
 * x + drop(Attn(LN1 x)), then + drop(MLP(LN2 x)). `param` looks up weights by name;
 * `drop` applies the dropout mask of a named site (identity when none).
 */
export function transformerBlockForward(
  x: tf.Tensor3D,
  l: number,
  heads: number,
  param: (name: string) => tf.Tensor,
  drop: (x: tf.Tensor3D, site: string) => tf.Tensor3D,
  rec?: TapRecorder,
): tf.Tensor3D {
  const n = blockParamNames(l);
  const p = `block${l}`;
  const dense = (input: tf.Tensor3D, names: { w: string; b: string }, tap: string): tf.Tensor3D =>
    denseForward(input, param(names.w) as tf.Tensor2D, param(names.b) as tf.Tensor1D, tap, names, rec);
  const a = layerNormForward(x, param(n.ln1.gamma) as tf.Tensor1D, param(n.ln1.beta) as tf.Tensor1D, `${p}/ln1`, n.ln1, rec);
  const o = causalSelfAttention(dense(a, n.qkv, `${p}/qkv`), heads);
  const x1 = tf.add(x, drop(dense(o, n.proj, `${p}/proj`), `${p}/attn`)) as tf.Tensor3D;
  const m = layerNormForward(x1, param(n.ln2.gamma) as tf.Tensor1D, param(n.ln2.beta) as tf.Tensor1D, `${p}/ln2`, n.ln2, rec);
  const h = gelu(dense(m, n.fc1, `${p}/fc1`));
  return tf.add(x1, drop(dense(h, n.fc2, `${p}/fc2`), `${p}/mlp`)) as tf.Tensor3D;
}
