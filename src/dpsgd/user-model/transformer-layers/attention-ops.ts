import * as tf from '@tensorflow/tfjs-core';
import { InternalError, InvalidArgumentError } from '../../../util/errors.js';

/**
 * What a masked score becomes before the softmax: far enough below any real score that exp()
 * of the difference is exactly 0 in float32, yet finite, so no NaN can arise in the backward pass.
 */
const MASKED_SCORE = -1e9;

/** [T, T] additive causal mask: 0 where position s <= t (t = row, s = column), MASKED_SCORE above the diagonal. */
export function causalMask(T: number): tf.Tensor2D {
  const m = new Float32Array(T * T);
  for (let t = 0; t < T; t++) for (let s = t + 1; s < T; s++) m[t * T + s] = MASKED_SCORE;
  return tf.tensor2d(m, [T, T]);
}

/** Refuses a head count that is not an integer >= 1. */
export function checkHeads(heads: number): void {
  if (!(Number.isInteger(heads) && heads >= 1)) throw new InvalidArgumentError(`heads must be an integer >= 1, got ${heads}.`);
}

/** The head size d / heads; d must split into heads of equal size. */
export function headSize(d: number, heads: number): number {
  checkHeads(heads);
  if (d % heads !== 0) throw new InvalidArgumentError(`the input width ${d} does not split into ${heads} heads of equal size.`);
  return d / heads;
}

/** [B, T, d] -> [B, heads, T, d / heads]. */
function splitHeads(x: tf.Tensor, heads: number): tf.Tensor4D {
  const [B, T, d] = x.shape as [number, number, number];
  return tf.transpose(tf.reshape(x, [B, T, heads, d / heads]), [0, 2, 1, 3]) as tf.Tensor4D;
}

/**
 * Causal multi-head self-attention without weights: qkv [B, T, 3d] holds the queries, keys and
 * values side by side (columns [0, d), [d, 2d), [2d, 3d)); each head h attends over its dh =
 * d / heads columns with softmax(q k^T / sqrt(dh) + causal mask) v, so position t sees positions
 * 0..t of its own example only. Returns [B, T, d] (heads concatenated). The layer's call and
 * its clipping rule both use this function, so their outputs agree exactly.
 */
export function causalAttention(qkv: tf.Tensor, heads: number): tf.Tensor3D {
  if (qkv.rank !== 3) throw new InternalError(`attention expects [B, T, 3d], got shape [${qkv.shape.join(', ')}]`);
  const [B, T, d3] = qkv.shape as [number, number, number];
  const d = d3 / 3;
  const dh = headSize(d, heads);
  const [q, k, v] = tf.split(qkv, 3, 2);
  const scores = tf.mul(tf.matMul(splitHeads(q!, heads), splitHeads(k!, heads), false, true), 1 / Math.sqrt(dh)); // [B, h, T, T]
  const weights = tf.softmax(tf.add(scores, causalMask(T)));
  const out = tf.matMul(weights, splitHeads(v!, heads)); // [B, h, T, dh]
  return tf.reshape(tf.transpose(out, [0, 2, 1, 3]), [B, T, d]) as tf.Tensor3D;
}
