import * as tf from '@tensorflow/tfjs-core';
import type { LayerRule } from '../types.js';
import { checkRecurrent, recurrentOutput, recurrentStart } from './recurrent.js';

/**
 * LSTM as tfjs-layers computes it (gates i, f, c, o; recurrent activation hard sigmoid unless
 * set): z = x_t W + h_{t-1} U + b, c_t = f c_{t-1} + i act(z_c), h_t = o act(c_t), from zero state.
 */
export const lstmRule: LayerRule = {
  className: 'LSTM',
  check: checkRecurrent,
  forward(layer, [x], ctx) {
    const { W, U, b, act, rec, x: x3, B, T, H, tap, steps } = recurrentStart(layer, x!, ctx);
    let h = tf.zeros([B, H]) as tf.Tensor2D;
    let c = tf.zeros([B, H]) as tf.Tensor2D;
    const prev: tf.Tensor2D[] = [];
    const out: tf.Tensor2D[] = [];
    for (let t = 0; t < T; t++) {
      prev.push(h);
      const z = tf.add(steps[t]!, tf.matMul(h, U as tf.Tensor as tf.Tensor2D));
      const [zi, zf, zc, zo] = tf.split(z, 4, 1);
      c = tf.add(tf.mul(rec.apply(zf!), c), tf.mul(rec.apply(zi!), act.apply(zc!))) as tf.Tensor2D;
      h = tf.mul(rec.apply(zo!), act.apply(c)) as tf.Tensor2D;
      out.push(h);
    }
    ctx.use({ kind: 'linear', param: W.name, tap, input: x3 });
    ctx.use({ kind: 'linear', param: U.name, tap, input: tf.stack(prev, 1) as tf.Tensor3D });
    if (b) ctx.use({ kind: 'bias', param: b.name, tap });
    return recurrentOutput(layer, out);
  },
};
