import * as tf from '@tensorflow/tfjs-core';
import type { LayerRule } from '../types.js';
import { InternalError } from '../../../util/errors.js';
import { causalAttention } from '../transformer-layers/attention-ops.js';
import { CausalSelfAttention } from '../transformer-layers/causal-self-attention.js';
import { batchTimeFeature, dotLast, requireWeight, weightVariable } from './internals.js';

/**
 * CausalSelfAttention: two Dense-like projections over the T positions around a parameterless
 * attention. qkv_t = x_t Wqkv + bqkv (a `linear` use with input x, a `bias` use), then the
 * attention (autodiff carries dL/dy back through it to the qkv capture), then y_t = a_t Wo + bo
 * (a `linear` use with input a, the attention output, and a `bias` use). Per example, grad Wqkv
 * = sum_t x_t^T g_t and so on, as for Dense over a sequence (ghost norms or per-example
 * gradients, whichever is cheaper).
 */
export const causalSelfAttentionRule: LayerRule = {
  className: CausalSelfAttention.className,
  check: () => null,
  forward(layer, [x], ctx) {
    if (!(layer instanceof CausalSelfAttention)) throw new InternalError(`layer ${layer.name} is not a CausalSelfAttention`);
    const Wqkv = requireWeight(layer, 'qkv_kernel');
    const bqkv = weightVariable(layer, 'qkv_bias');
    const Wo = requireWeight(layer, 'output_kernel');
    const bo = weightVariable(layer, 'output_bias');
    let z1 = dotLast(x!, Wqkv as tf.Tensor as tf.Tensor2D);
    if (bqkv) z1 = tf.add(z1, bqkv);
    const qkv = ctx.capture(z1);
    ctx.use({ kind: 'linear', param: Wqkv.name, tap: qkv.tap, input: batchTimeFeature(x!) });
    if (bqkv) ctx.use({ kind: 'bias', param: bqkv.name, tap: qkv.tap });
    const a = causalAttention(qkv.value, layer.heads);
    let z2 = dotLast(a, Wo as tf.Tensor as tf.Tensor2D);
    if (bo) z2 = tf.add(z2, bo);
    const y = ctx.capture(z2);
    ctx.use({ kind: 'linear', param: Wo.name, tap: y.tap, input: a });
    if (bo) ctx.use({ kind: 'bias', param: bo.name, tap: y.tap });
    return y.value;
  },
};
