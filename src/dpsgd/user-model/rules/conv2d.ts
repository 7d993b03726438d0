import * as tf from '@tensorflow/tfjs-core';
import type { LayerRule } from '../types.js';
import { activationOf, field, requireWeight, weightVariable } from './internals.js';
import { checkConvolution, pair, patches2d } from './patches.js';

/**
 * Conv2D (channelsLast): z = conv(x, K) + b; y = activation(z). Per example, with patches a_t
 * (im2col, t over the Ho*Wo output positions) and output gradients g_t, grad K = sum_t a_t^T g_t,
 * the same form as Dense, so the same ghost-norm / per-example choice applies.
 */
export const conv2dRule: LayerRule = {
  className: 'Conv2D',
  check: checkConvolution,
  forward(layer, [x], ctx) {
    const K = requireWeight(layer, 'kernel') as tf.Variable<tf.Rank.R4>;
    const b = weightVariable(layer, 'bias');
    const strides = pair(field(layer, 'strides'), 2) as [number, number];
    const dilations = pair(field(layer, 'dilationRate'), 2) as [number, number];
    const padding = field<'valid' | 'same'>(layer, 'padding');
    const x4 = x as tf.Tensor4D;
    let z: tf.Tensor = tf.conv2d(x4, K, strides, padding, 'NHWC', dilations);
    if (b) z = tf.add(z, b);
    const { value, tap } = ctx.capture(z);
    ctx.use({ kind: 'linear', param: K.name, tap, input: patches2d(x4, [K.shape[0], K.shape[1]], strides, dilations, padding) });
    if (b) ctx.use({ kind: 'bias', param: b.name, tap });
    return activationOf(layer).apply(value);
  },
};
