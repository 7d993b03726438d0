import * as tf from '@tensorflow/tfjs-core';
import type { LayerRule } from '../types.js';
import { activationOf, field, requireWeight, weightVariable } from './internals.js';
import { checkConvolution, pair, patches2d } from './patches.js';

/**
 * Conv1D (channelsLast, x [B, L, C], kernel [k, C, cout]): the 2-D rule on a height-1 image:
 * per example grad K = sum_t a_t^T g_t over output positions t with patches a_t [k*C].
 */
export const conv1dRule: LayerRule = {
  className: 'Conv1D',
  check: checkConvolution,
  forward(layer, [x], ctx) {
    const K = requireWeight(layer, 'kernel') as tf.Variable<tf.Rank.R3>;
    const b = weightVariable(layer, 'bias');
    const stride = pair(field(layer, 'strides'), 1)[0]!;
    const dilation = pair(field(layer, 'dilationRate'), 1)[0]!;
    const padding = field<'valid' | 'same'>(layer, 'padding');
    const x3 = x as tf.Tensor3D;
    let z: tf.Tensor = tf.conv1d(x3, K, stride, padding, 'NWC', dilation);
    if (b) z = tf.add(z, b);
    const { value, tap } = ctx.capture(z);
    const image = tf.expandDims(x3, 1) as tf.Tensor4D; // [B, 1, L, C]
    ctx.use({ kind: 'linear', param: K.name, tap, input: patches2d(image, [1, K.shape[0]], [1, stride], [1, dilation], padding) });
    if (b) ctx.use({ kind: 'bias', param: b.name, tap });
    return activationOf(layer).apply(value);
  },
};
