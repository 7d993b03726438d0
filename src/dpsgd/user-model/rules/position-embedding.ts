import * as tf from '@tensorflow/tfjs-core';
import type { LayerRule } from '../types.js';
import { InternalError } from '../../../util/errors.js';
import { PositionEmbedding, positionRows } from '../transformer-layers/position-embedding.js';
import { requireWeight } from './internals.js';

/**
 * PositionEmbedding: y = x + z with z_t = table[t] for every example, an `embedding` use with
 * ids = positions 0..T-1. Per example, grad table = sum_t onehot(t) g_t^T (row t is g_t), so
 * norms and clipped sums are exact per example like any embedding's.
 */
export const positionEmbeddingRule: LayerRule = {
  className: PositionEmbedding.className,
  check: () => null,
  forward(layer, [x], ctx) {
    if (!(layer instanceof PositionEmbedding)) throw new InternalError(`layer ${layer.name} is not a PositionEmbedding`);
    const table = requireWeight(layer, 'embeddings');
    const [B, T, d] = x!.shape as [number, number, number];
    // Each example's own copy of the rows (batch first), so the capture sees per-example gradients.
    const z = tf.broadcastTo(tf.expandDims(positionRows(table as tf.Tensor as tf.Tensor2D, T, layer.name), 0), [B, T, d]);
    const { value, tap } = ctx.capture(z);
    const ids = tf.tile(tf.expandDims(tf.range(0, T, 1, 'int32'), 0), [B, 1]) as tf.Tensor2D;
    ctx.use({ kind: 'embedding', param: table.name, tap, ids, vocabSize: layer.maxLength });
    return tf.add(x!, value);
  },
};
