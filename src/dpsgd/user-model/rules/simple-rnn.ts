import * as tf from '@tensorflow/tfjs-core';
import type { LayerRule } from '../types.js';
import { checkRecurrent, recurrentOutput, recurrentStart } from './recurrent.js';

/** SimpleRNN: h_t = activation(x_t W + h_{t-1} U + b) from h_0 = 0. */
export const simpleRnnRule: LayerRule = {
  className: 'SimpleRNN',
  check: checkRecurrent,
  forward(layer, [x], ctx) {
    const { W, U, b, act, x: x3, B, T, H, tap, steps } = recurrentStart(layer, x!, ctx);
    let h = tf.zeros([B, H]) as tf.Tensor2D;
    const prev: tf.Tensor2D[] = [];
    const out: tf.Tensor2D[] = [];
    for (let t = 0; t < T; t++) {
      prev.push(h);
      h = act.apply(tf.add(steps[t]!, tf.matMul(h, U as tf.Tensor as tf.Tensor2D))) as tf.Tensor2D;
      out.push(h);
    }
    ctx.use({ kind: 'linear', param: W.name, tap, input: x3 });
    ctx.use({ kind: 'linear', param: U.name, tap, input: tf.stack(prev, 1) as tf.Tensor3D });
    if (b) ctx.use({ kind: 'bias', param: b.name, tap });
    return recurrentOutput(layer, out);
  },
};
