import * as tf from '@tensorflow/tfjs-core';
import type { TapRecorder } from './types.js';

/**
 * Affine map applied at every time step: x [T, B, D] -> x W + b, [T, B, P].
 * With a recorder, adds the tap `name` to the output and records x (input of W) and b.
 */
export function denseForward(
  x: tf.Tensor3D,
  w: tf.Tensor2D,
  b: tf.Tensor1D,
  name: string,
  params: { w: string; b: string },
  rec?: TapRecorder,
): tf.Tensor3D {
  const [T, B, D] = x.shape;
  const P = w.shape[1];
  let out = tf.reshape(tf.add(tf.matMul(tf.reshape(x, [T * B, D]), w), b), [T, B, P]) as tf.Tensor3D;
  const tap = rec?.taps.get(name);
  if (rec && tap) {
    out = tf.add(out, tap);
    rec.uses.push({ kind: 'weight', param: params.w, tap: name, input: tf.keep(x) });
    rec.uses.push({ kind: 'bias', param: params.b, tap: name });
  }
  return out;
}
