import * as tf from '@tensorflow/tfjs-core';
import type { LayerRule } from '../types.js';
import { activationOf, requireWeight, weightVariable } from './internals.js';
import { cellOf, checkRecurrent, inputProjection, recurrentOutput } from './recurrent.js';

/** SimpleRNN: h_t = activation(x_t W + h_{t-1} U + b) from h_0 = 0. */
export const simpleRnnRule: LayerRule = {
  className: 'SimpleRNN',
  check: checkRecurrent,
  forward(layer, [x], ctx) {
    const cell = cellOf(layer) as Parameters<typeof activationOf>[0];
    const W = requireWeight(layer, 'kernel') as tf.Tensor as tf.Tensor2D;
    const U = requireWeight(layer, 'recurrent_kernel') as tf.Tensor as tf.Tensor2D;
    const b = weightVariable(layer, 'bias') as tf.Tensor1D | null;
    const act = activationOf(cell);
    const x3 = x as tf.Tensor3D;
    const [B, T] = x3.shape;
    const { value, tap } = ctx.capture(inputProjection(x3, W, b));
    const steps = tf.unstack(value, 1) as tf.Tensor2D[];
    let h = tf.zeros([B, U.shape[0]]) as tf.Tensor2D;
    const prev: tf.Tensor2D[] = [];
    const out: tf.Tensor2D[] = [];
    for (let t = 0; t < T; t++) {
      prev.push(h);
      h = act.apply(tf.add(steps[t]!, tf.matMul(h, U))) as tf.Tensor2D;
      out.push(h);
    }
    ctx.use({ kind: 'linear', param: W as tf.Tensor as tf.Variable, tap, input: x3 });
    ctx.use({ kind: 'linear', param: U as tf.Tensor as tf.Variable, tap, input: tf.stack(prev, 1) as tf.Tensor3D });
    if (b) ctx.use({ kind: 'bias', param: b as tf.Tensor as tf.Variable, tap });
    return recurrentOutput(layer, out);
  },
};
