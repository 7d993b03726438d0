import * as tf from '@tensorflow/tfjs-core';
import type { LayerRule } from '../types.js';
import { activationOf, batchTimeFeature, dotLast, requireWeight, weightVariable } from './internals.js';

/**
 * Dense: z = x W + b over the last axis of x [B, ..., D]; y = activation(z). Per example,
 * grad W = sum_t x_t^T g_t over the middle axes t (T = 1 for a plain [B, D] input, where the
 * squared norm is ||x||^2 ||g||^2), grad b = sum_t g_t.
 */
export const denseRule: LayerRule = {
  className: 'Dense',
  check: () => null,
  forward(layer, [x], ctx) {
    const W = requireWeight(layer, 'kernel');
    const b = weightVariable(layer, 'bias');
    let z = dotLast(x!, W as tf.Tensor as tf.Tensor2D);
    if (b) z = tf.add(z, b);
    const { value, tap } = ctx.capture(z);
    ctx.use({ kind: 'linear', param: W.name, tap, input: batchTimeFeature(x!) });
    if (b) ctx.use({ kind: 'bias', param: b.name, tap });
    return activationOf(layer).apply(value);
  },
};
