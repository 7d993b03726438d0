import * as tf from '@tensorflow/tfjs-core';
import type { TapRecorder } from './types.js';

/**
 * Affine map applied at every time step: x [T, B, D] -> x W + b, [T, B, P].
 * With a recorder, the tap `name` (holding b broadcast to [T, B, P]) replaces b, and x (input
 * of W) and b are recorded.
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
  const xw = tf.reshape(tf.matMul(tf.reshape(x, [T * B, D]), w), [T, B, P]) as tf.Tensor3D;
  const tap = rec?.taps.get(name);
  // The tap carries the bias values (see TapSpec), so it replaces the bias add.
  const out = tf.add(xw, tap ?? b) as tf.Tensor3D;
  if (rec && tap) {
    rec.uses.push({ kind: 'linear', param: params.w, tap: name, input: tf.keep(x) });
    rec.uses.push({ kind: 'bias', param: params.b, tap: name });
  }
  return out;
}
