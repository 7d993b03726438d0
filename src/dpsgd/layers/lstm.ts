import * as tf from '@tensorflow/tfjs-core';
import type { TapRecorder } from './types.js';

/** Weights of one LSTM layer; gates packed in the order input, forget, cell, output (Keras). */
export interface LstmWeights {
  /** [D, 4H] input kernel. */
  readonly W: tf.Tensor2D;
  /** [H, 4H] recurrent kernel. */
  readonly U: tf.Tensor2D;
  /** [4H] bias. */
  readonly b: tf.Tensor1D;
}

/**
 * One LSTM step from the input pre-activation zx = x W + b ([B, 4H]) and the previous state.
 * Standard sigmoid gates: c' = f*c + i*tanh(g), h' = o*tanh(c').
 */
export function lstmCell(
  zx: tf.Tensor2D,
  h: tf.Tensor2D | null,
  c: tf.Tensor2D | null,
  U: tf.Tensor2D,
): { h: tf.Tensor2D; c: tf.Tensor2D } {
  const z = h === null ? zx : tf.add(zx, tf.matMul(h, U));
  const [i, f, g, o] = tf.split(z, 4, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  const ig = tf.mul(tf.sigmoid(i), tf.tanh(g));
  const cNew = (c === null ? ig : tf.add(tf.mul(tf.sigmoid(f), c), ig)) as tf.Tensor2D;
  const hNew = tf.mul(tf.sigmoid(o), tf.tanh(cNew)) as tf.Tensor2D;
  return { h: hNew, c: cNew };
}

/**
 * A time-major LSTM layer from zero state: x [T, B, D] -> hidden states [T, B, H].
 * With a recorder, the tap `name` ([T, B, 4H], holding b) stands for b in the pre-activations, so
 * dL/dtap[t] is the gradient of z_t = x_t W + h_{t-1} U + b; records x (input of W),
 * h_{t-1} (input of U, zero at t = 0) and b.
 */
export function lstmForward(
  x: tf.Tensor3D,
  w: LstmWeights,
  name: string,
  params: { W: string; U: string; b: string },
  rec?: TapRecorder,
): tf.Tensor3D {
  const [T, B, D] = x.shape;
  const H = w.U.shape[0];
  const tap = rec?.taps.get(name);
  // The tap carries the bias values (see TapSpec), so it replaces the bias add.
  const zx = tf.add(tf.reshape(tf.matMul(tf.reshape(x, [T * B, D]), w.W), [T, B, 4 * H]), tap ?? w.b) as tf.Tensor3D;
  const steps = tf.unstack(zx) as tf.Tensor2D[];
  let h: tf.Tensor2D | null = null;
  let c: tf.Tensor2D | null = null;
  const hs: tf.Tensor2D[] = [];
  for (let t = 0; t < T; t++) {
    const next = lstmCell(steps[t]!, h, c, w.U);
    h = next.h;
    c = next.c;
    hs.push(h);
  }
  const out = tf.stack(hs) as tf.Tensor3D;
  if (rec && tap) {
    const zero = tf.zeros([1, B, H]) as tf.Tensor3D;
    const prev = T === 1 ? zero : (tf.concat([zero, tf.slice(out, [0, 0, 0], [T - 1, B, H])], 0) as tf.Tensor3D);
    rec.uses.push({ kind: 'linear', param: params.W, tap: name, input: tf.keep(x) });
    rec.uses.push({ kind: 'linear', param: params.U, tap: name, input: tf.keep(prev) });
    rec.uses.push({ kind: 'bias', param: params.b, tap: name });
  }
  return out;
}
