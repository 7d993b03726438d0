import * as tf from '@tensorflow/tfjs-core';
import type { Layer, RuleContext } from '../types.js';
import { activationOf, field, requireWeight, unsupported, weightVariable, type Activation } from './internals.js';

/**
 * What the recurrent rules share. All three tfjs-layers cells compute the input projection
 * X = x W + b for every step, then add a recurrent projection of the previous state; the
 * gradient of the loss by X_t equals the gradient by the step's full pre-activation, so ONE
 * capture of X [B, T, G] yields the output gradients for W, for b and for the recurrent kernel
 * (whose per-example gradient is sum_t h_{t-1}^T g_t). Rules record h_{t-1} for every step.
 */

/** Settings that the recurrent rules do not reproduce (they run from a zero state, forwards). */
export function checkRecurrent(layer: Layer): string | null {
  const cell = field<object>(layer, 'cell');
  const why = unsupported(layer.getConfig() as Record<string, unknown>, {
    returnState: (v) => !v,
    goBackwards: (v) => !v,
    stateful: (v) => !v,
  });
  if (why) return why;
  if (field<number>(cell, 'dropout') > 0 || field<number>(cell, 'recurrentDropout') > 0) {
    return 'dropout inside the recurrent layer is not supported (put a Dropout layer before or after it)';
  }
  return null;
}

/** X = x W + b for all steps: x [B, T, D] -> [B, T, G]. */
export function inputProjection(x: tf.Tensor3D, W: tf.Tensor2D, b: tf.Tensor1D | null): tf.Tensor3D {
  const [B, T, D] = x.shape;
  const X = tf.reshape(tf.matMul(tf.reshape(x, [B * T, D]) as tf.Tensor2D, W), [B, T, W.shape[1]]);
  return (b ? tf.add(X, b) : X) as tf.Tensor3D;
}

/** Per-step outputs [T x [B, H]] -> the layer's output (all steps, or the last). */
export function recurrentOutput(layer: Layer, outputs: tf.Tensor2D[]): tf.Tensor {
  return field<boolean>(layer, 'returnSequences') ? tf.stack(outputs, 1) : outputs[outputs.length - 1]!;
}

export function cellOf(layer: Layer): object {
  return field<object>(layer, 'cell');
}

/** What every recurrent rule starts from: its weights and activations, and the captured input projection. */
export interface RecurrentStart {
  readonly W: tf.Variable;
  readonly U: tf.Variable;
  readonly b: tf.Variable | null;
  readonly act: Activation;
  /** The recurrent (gate) activation; the plain one's identity default where a cell has none. */
  readonly rec: Activation;
  readonly x: tf.Tensor3D;
  readonly B: number;
  readonly T: number;
  /** Hidden size. */
  readonly H: number;
  /** The capture of X = x W + b (see above), and X split into its T steps [B, G]. */
  readonly tap: string;
  readonly steps: tf.Tensor2D[];
}

/** Reads a recurrent layer's weights and activations and captures its input projection. */
export function recurrentStart(layer: Layer, x: tf.Tensor, ctx: RuleContext): RecurrentStart {
  const cell = cellOf(layer);
  const W = requireWeight(layer, 'kernel');
  const U = requireWeight(layer, 'recurrent_kernel');
  const b = weightVariable(layer, 'bias');
  const x3 = x as tf.Tensor3D;
  const [B, T] = x3.shape;
  const { value, tap } = ctx.capture(inputProjection(x3, W as tf.Tensor as tf.Tensor2D, b as tf.Tensor as tf.Tensor1D | null));
  return {
    W, U, b, act: activationOf(cell), rec: activationOf(cell, 'recurrentActivation'), x: x3, B, T, H: U.shape[0]!, tap,
    steps: tf.unstack(value, 1) as tf.Tensor2D[],
  };
}
