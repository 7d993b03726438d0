import * as tf from '@tensorflow/tfjs-core';
import type { TapRecorder } from './types.js';

/**
 * Embedding lookup, time-major: ids [T, B] (int32) -> vectors [T, B, E].
 * With a recorder, adds the tap `name` to the output and records the ids (the table's
 * per-example gradient is a scatter of the output gradients onto the rows it read).
 */
export function embeddingForward(
  table: tf.Tensor2D,
  ids: tf.Tensor2D,
  name: string,
  param: string,
  rec?: TapRecorder,
): tf.Tensor3D {
  let out = tf.gather(table, ids) as unknown as tf.Tensor3D;
  const tap = rec?.taps.get(name);
  if (rec && tap) {
    out = tf.add(out, tap);
    rec.uses.push({ kind: 'embedding', param, tap: name, ids: tf.keep(ids), vocabSize: table.shape[0] });
  }
  return out;
}
