import * as tf from '@tensorflow/tfjs-core';
import type { LayerRule } from '../types.js';
import { field, requireWeight } from './internals.js';

/**
 * Embedding: y = table[ids] for integer ids [B, ...]. Per example, grad table =
 * sum_t onehot(id_t) g_t^T, whose squared norm is sum_{t,s} [id_t = id_s] (g_t . g_s).
 */
export const embeddingRule: LayerRule = {
  className: 'Embedding',
  check: (layer) => (field<boolean>(layer, 'maskZero') ? 'maskZero=true is not supported (masks are not propagated)' : null),
  forward(layer, [x], ctx) {
    const table = requireWeight(layer, 'embeddings');
    const ids = x!.dtype === 'int32' ? x! : tf.cast(x!, 'int32');
    const B = ids.shape[0];
    const flat = tf.reshape(ids, [-1]);
    const z = tf.reshape(tf.gather(table, flat), [...ids.shape, table.shape[1]!]);
    const { value, tap } = ctx.capture(z);
    ctx.use({ kind: 'embedding', param: table.name, tap, ids: tf.reshape(ids, [B, -1]) as tf.Tensor2D, vocabSize: table.shape[0]! });
    return value;
  },
};
