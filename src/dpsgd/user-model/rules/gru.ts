import * as tf from '@tensorflow/tfjs-core';
import type { LayerRule } from '../types.js';
import { checkRecurrent, recurrentOutput, recurrentStart } from './recurrent.js';

/**
 * GRU as tfjs-layers computes it ("reset before", the only form it supports): with
 * X = x_t W + b split into (x_z, x_r, x_h) and U = [U_zr | U_h],
 * (z, r) = rec(X_zr + h_{t-1} U_zr), hh = act(x_h + (r * h_{t-1}) U_h), h_t = z h_{t-1} + (1 - z) hh.
 * U's per-example gradient has two column blocks with different inputs: h_{t-1} for U_zr and
 * r * h_{t-1} for U_h; both take their output gradient from the one capture of X.
 */
export const gruRule: LayerRule = {
  className: 'GRU',
  check: checkRecurrent,
  forward(layer, [x], ctx) {
    const { W, U, b, act, rec, x: x3, B, T, H, tap, steps } = recurrentStart(layer, x!, ctx);
    const [Uzr, Uh] = tf.split(U, [2 * H, H], 1) as tf.Tensor2D[];
    let h = tf.zeros([B, H]) as tf.Tensor2D;
    const prev: tf.Tensor2D[] = [];
    const resetPrev: tf.Tensor2D[] = [];
    const out: tf.Tensor2D[] = [];
    for (let t = 0; t < T; t++) {
      prev.push(h);
      const [xzr, xh] = tf.split(steps[t]!, [2 * H, H], 1) as tf.Tensor2D[];
      const [z, r] = tf.split(rec.apply(tf.add(xzr!, tf.matMul(h, Uzr!))), 2, 1);
      const rh = tf.mul(r!, h) as tf.Tensor2D;
      resetPrev.push(rh);
      const hh = act.apply(tf.add(xh!, tf.matMul(rh, Uh!)));
      h = tf.add(tf.mul(z!, h), tf.mul(tf.sub(1, z!), hh)) as tf.Tensor2D;
      out.push(h);
    }
    ctx.use({ kind: 'linear', param: W.name, tap, input: x3 });
    ctx.use({ kind: 'linear', param: U.name, tap, input: tf.stack(prev, 1) as tf.Tensor3D, tapColumns: [0, 2 * H], paramColumns: [0, 2 * H] });
    ctx.use({ kind: 'linear', param: U.name, tap, input: tf.stack(resetPrev, 1) as tf.Tensor3D, tapColumns: [2 * H, 3 * H], paramColumns: [2 * H, 3 * H] });
    if (b) ctx.use({ kind: 'bias', param: b.name, tap });
    return recurrentOutput(layer, out);
  },
};
