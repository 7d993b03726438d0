import * as tf from '@tensorflow/tfjs-core';
import type { LayerRule } from '../types.js';
import { batchTimeFeature, field, weightVariable } from './internals.js';

/**
 * LayerNormalization over the last axis: xhat = (x - mean) / sqrt(var + eps) per position,
 * z = xhat * gamma + beta. Per example, grad gamma = sum_t xhat_t * g_t, grad beta = sum_t g_t
 * (small [B, P] per-example gradients, formed directly).
 */
export const layerNormalizationRule: LayerRule = {
  className: 'LayerNormalization',
  check(layer) {
    const axis = field<number[]>(layer, 'axis');
    const input = layer.input;
    const rank = Array.isArray(input) ? null : input.shape.length;
    const last = Array.isArray(axis) && axis.length === 1 && rank !== null && (axis[0] === rank - 1 || axis[0] === -1);
    return last ? null : `normalisation over axes ${JSON.stringify(axis)} is not supported (only the last axis)`;
  },
  forward(layer, [x], ctx) {
    const gamma = weightVariable(layer, 'gamma');
    const beta = weightVariable(layer, 'beta');
    const eps = field<number>(layer, 'epsilon');
    const { mean, variance } = tf.moments(x!, x!.rank - 1, true);
    const xhat = tf.mul(tf.sub(x!, mean), tf.rsqrt(tf.add(variance, eps)));
    let z: tf.Tensor = gamma ? tf.mul(xhat, gamma) : xhat;
    if (beta) z = tf.add(z, beta);
    const { value, tap } = ctx.capture(z);
    if (gamma) ctx.use({ kind: 'scale', param: gamma.name, tap, input: batchTimeFeature(xhat) });
    if (beta) ctx.use({ kind: 'bias', param: beta.name, tap });
    return value;
  },
};
