import * as tf from '@tensorflow/tfjs-core';

/**
 * Softmax cross-entropy of a sequence, in nats: logits [T, B, V], targets [T, B] (int32).
 * Returns the per-example sums over time steps, [B] (what DP-SGD clips: one example = one
 * sequence). Divide the total by T*B for the mean per token (what is reported).
 * The target log-probability is read with a flat gather, so no [T, B, V] one-hot is built.
 */
export function sequenceCrossEntropy(logits: tf.Tensor3D, targets: tf.Tensor2D): tf.Tensor1D {
  const [T, B, V] = logits.shape;
  const logp = tf.reshape(tf.logSoftmax(logits), [T * B * V]);
  const rows = tf.range(0, T * B, 1, 'int32');
  const index = tf.add(tf.mul(rows, tf.scalar(V, 'int32')), tf.reshape(targets, [T * B]));
  const picked = tf.reshape(tf.gather(logp, index), [T, B]);
  return tf.neg(tf.sum(picked, 0)) as tf.Tensor1D;
}
