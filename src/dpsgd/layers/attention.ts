import * as tf from '@tensorflow/tfjs-core';

/** Added to the scores of future positions: exp(-1e9 - max) is exactly 0 in float32. */
const MASKED = -1e9;

/** [T, T] additive causal mask: 0 where key s <= query t, -1e9 above the diagonal. */
function causalMask(T: number): tf.Tensor2D {
  const m = new Float32Array(T * T);
  for (let t = 0; t < T; t++) for (let s = t + 1; s < T; s++) m[t * T + s] = MASKED;
  return tf.tensor2d(m, [T, T]);
}

/** [T, B, d] -> [B * heads, T, dh]: one batch entry per (example, head). */
function splitHeads(x: tf.Tensor3D, heads: number): tf.Tensor3D {
  const [T, B, d] = x.shape;
  const dh = d / heads;
  return tf.reshape(tf.transpose(tf.reshape(x, [T, B, heads, dh]), [1, 2, 0, 3]), [B * heads, T, dh]);
}

/**
 * Causal multi-head self-attention without parameters, time-major: qkv [T, B, 3d] (columns
 * q | k | v, head h using columns h dh .. (h+1) dh - 1 of each) -> the heads' outputs
 * concatenated in order, [T, B, d]. Position t attends to positions 0..t; scores are scaled by
 * 1 / sqrt(dh). All heads of all examples go through two batched matmuls.
 */
export function causalSelfAttention(qkv: tf.Tensor3D, heads: number): tf.Tensor3D {
  const [T, B, d3] = qkv.shape;
  const d = d3 / 3;
  const dh = d / heads;
  const [q, k, v] = tf.split(qkv, 3, 2) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
  const scores = tf.add(tf.mul(tf.matMul(splitHeads(q, heads), splitHeads(k, heads), false, true), 1 / Math.sqrt(dh)), causalMask(T));
  const out = tf.matMul(tf.softmax(scores), splitHeads(v, heads)); // [B*heads, T, dh]
  return tf.reshape(tf.transpose(tf.reshape(out, [B, heads, T, dh]), [2, 0, 1, 3]), [T, B, d]);
}
