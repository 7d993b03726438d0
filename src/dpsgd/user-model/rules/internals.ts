import * as tf from '@tensorflow/tfjs-core';
import type { Layer } from '../types.js';
import { InternalError } from '../../../util/errors.js';

/** An activation object as tfjs-layers keeps it on a layer (identity when absent). */
export interface Activation {
  apply(x: tf.Tensor): tf.Tensor;
}

/**
 * The tf.Variable behind a layer's weight called `short` ('kernel', 'bias', ...), or null.
 * tfjs names weights '<layer name>/<short>' (with a numeric suffix when names repeat).
 */
export function weightVariable(layer: Layer, short: string): tf.Variable | null {
  for (const w of layer.weights) {
    const base = w.originalName.split('/').pop()!.replace(/_\d+$/, '');
    if (base === short) return w.read() as tf.Variable;
  }
  return null;
}

export function requireWeight(layer: Layer, short: string): tf.Variable {
  const v = weightVariable(layer, short);
  if (!v) throw new InternalError(`layer ${layer.name} has no weight '${short}'`);
  return v;
}

/** A field tfjs-layers keeps on the layer object (not part of its typed public surface). */
export function field<T>(obj: object, name: string): T {
  return (obj as Record<string, unknown>)[name] as T;
}

export function activationOf(obj: object, name = 'activation'): Activation {
  const a = field<Activation | null | undefined>(obj, name);
  return a ?? { apply: (x) => x };
}

/** Reports the first layer setting that the rule does not reproduce, or null. */
export function unsupported(cfg: Record<string, unknown>, checks: Record<string, (v: unknown) => boolean>): string | null {
  for (const [k, ok] of Object.entries(checks)) if (!ok(cfg[k])) return `${k}=${JSON.stringify(cfg[k])} is not supported`;
  return null;
}

/** x [..., D] times W [D, P] -> [..., P] (what tfjs-layers' K.dot does for rank > 2). */
export function dotLast(x: tf.Tensor, w: tf.Tensor2D): tf.Tensor {
  if (x.rank === 2) return tf.matMul(x as tf.Tensor2D, w);
  const D = x.shape[x.rank - 1]!;
  const y = tf.matMul(tf.reshape(x, [-1, D]) as tf.Tensor2D, w);
  return tf.reshape(y, [...x.shape.slice(0, -1), w.shape[1]]);
}

/** x as [B, T, D]: batch, all middle axes flattened, last axis. */
export function batchTimeFeature(x: tf.Tensor): tf.Tensor3D {
  return tf.reshape(x, [x.shape[0], -1, x.shape[x.rank - 1]!]) as tf.Tensor3D;
}
