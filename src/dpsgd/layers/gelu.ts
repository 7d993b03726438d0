import * as tf from '@tensorflow/tfjs-core';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** GELU, tanh approximation (GPT-2): 0.5 u (1 + tanh(sqrt(2/pi) (u + 0.044715 u^3))). */
export function gelu<R extends tf.Rank>(u: tf.Tensor<R>): tf.Tensor<R> {
  const inner = tf.mul(tf.add(u, tf.mul(tf.mul(tf.square(u), u), 0.044715)), SQRT_2_OVER_PI);
  return tf.mul(tf.mul(u, 0.5), tf.add(tf.tanh(inner), 1));
}
