import * as tf from '@tensorflow/tfjs-core';
import type { TapRecorder } from './types.js';

/** LayerNorm's epsilon (added to the biased variance), as in GPT-2. */
export const LAYER_NORM_EPSILON = 1e-5;

/** x normalised over its last axis: (x - mean) / sqrt(var + 1e-5), biased variance. */
export function normalizeLastAxis<R extends tf.Rank>(x: tf.Tensor<R>): tf.Tensor<R> {
  const axis = x.rank - 1;
  const mean = tf.mean(x, axis, true);
  const centred = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centred), axis, true);
  return tf.mul(centred, tf.rsqrt(tf.add(variance, LAYER_NORM_EPSILON)));
}

/**
 * LayerNorm over the last axis of x [T, B, d]: xhat * gamma + beta.
 * With a recorder, the tap `name` ([T, B, d], holding beta) replaces beta, and xhat is recorded
 * as the input of the `scale` use of gamma (per example, grad gamma = sum_t xhat_t * g_t).
 */
export function layerNormForward(
  x: tf.Tensor3D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  name: string,
  params: { gamma: string; beta: string },
  rec?: TapRecorder,
): tf.Tensor3D {
  const xhat = normalizeLastAxis(x);
  const tap = rec?.taps.get(name);
  // The tap carries beta's values (see TapSpec), so it replaces the beta add.
  const out = tf.add(tf.mul(xhat, gamma), tap ?? beta) as tf.Tensor3D;
  if (rec && tap) {
    rec.uses.push({ kind: 'scale', param: params.gamma, tap: name, input: tf.keep(xhat) });
    rec.uses.push({ kind: 'bias', param: params.beta, tap: name });
  }
  return out;
}
