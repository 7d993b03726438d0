import * as tf from '@tensorflow/tfjs-core';
import type { ParamUse, TapGradients, TapLayout } from './types.js';
import { InternalError } from '../../util/errors.js';

/** Sizes of one use's tap: B examples, T positions, P features (of its column block). */
export interface TapDims {
  readonly B: number;
  readonly T: number;
  readonly P: number;
}

/** A tap's shape read without creating a tensor. */
export function tapDims(pass: TapGradients, use: ParamUse): TapDims {
  const g = pass.grads.get(use.tap);
  if (!g) throw new InternalError(`no gradient reached tap ${use.tap}`);
  const [d0, d1, d2] = g.shape;
  const cols = use.kind === 'linear' ? use.tapColumns : undefined;
  const P = cols ? cols[1] - cols[0] : d2;
  return pass.layout === 'time-major' ? { T: d0, B: d1, P } : { B: d0, T: d1, P };
}

/** The output gradient a use sees (its column block sliced out: call inside a tidy). */
export function useGrad(pass: TapGradients, use: ParamUse): tf.Tensor3D {
  const g = pass.grads.get(use.tap);
  if (!g) throw new InternalError(`no gradient reached tap ${use.tap}`);
  const cols = use.kind === 'linear' ? use.tapColumns : undefined;
  return cols ? (tf.slice(g, [0, 0, cols[0]], [-1, -1, cols[1] - cols[0]]) as tf.Tensor3D) : g;
}

/**
 * Layout-aware primitives of the engine. Gram matrices and per-example gradients need [B, T, .]
 * operands: time-major tensors are transposed once per pass and shared by the uses of a tap
 * (kept here until `dispose`); batch-major ones are used as they are.
 */
export class LayoutOps {
  private readonly cache = new Map<tf.Tensor, tf.Tensor3D>();

  constructor(readonly layout: TapLayout) {}

  /** x as [B, T, .]; for time-major a cached transpose (do not dispose it). */
  batchMajor(x: tf.Tensor3D): tf.Tensor3D {
    if (this.layout === 'batch-major') return x;
    let y = this.cache.get(x);
    // Kept: created inside one use's tidy, shared with the next uses.
    if (!y) this.cache.set(x, (y = tf.keep(tf.transpose(x, [1, 0, 2]))));
    return y;
  }

  /** ids as [B, T] (a new tensor for time-major: call inside a tidy). */
  idsBatchMajor(ids: tf.Tensor2D): tf.Tensor2D {
    return this.layout === 'batch-major' ? ids : (tf.transpose(ids) as tf.Tensor2D);
  }

  /**
   * sum over positions of g, [B, P]. Time-major as a [1, T] x [T, B*P] matmul (a reduction over
   * axis 0 is ~5x slower on wasm).
   */
  sumOverTime(g: tf.Tensor3D): tf.Tensor2D {
    if (this.layout === 'batch-major') return tf.sum(g, 1) as tf.Tensor2D;
    const [T, B, P] = g.shape;
    return tf.reshape(tf.matMul(tf.ones([1, T]), tf.reshape(g, [T, B * P])), [B, P]);
  }

  /** Per-example factors [B] shaped to broadcast against a 3-D tensor of this layout. */
  exampleFactors(c: tf.Tensor1D): tf.Tensor3D {
    const B = c.shape[0];
    return tf.reshape(c, this.layout === 'time-major' ? [1, B, 1] : [B, 1, 1]);
  }

  /** For ids [., .] of this layout, b * V at each position of example b, flattened in layout order (int32). */
  exampleOffsets(B: number, T: number, V: number): tf.Tensor1D {
    const offsets = tf.mul(tf.range(0, B, 1, 'int32'), tf.scalar(V, 'int32')) as tf.Tensor1D;
    if (this.layout === 'time-major') return tf.tile(offsets, [T]);
    return tf.reshape(tf.tile(tf.expandDims(offsets, 1), [1, T]), [B * T]);
  }

  dispose(): void {
    tf.dispose([...this.cache.values()]);
    this.cache.clear();
  }
}

/** sum over all rows of x [., ., P] (either layout), [P], as a [1, R] x [R, P] matmul. */
export function sumOverRows(x: tf.Tensor): tf.Tensor1D {
  const [d0, d1, P] = x.shape as [number, number, number];
  return tf.reshape(tf.matMul(tf.ones([1, d0 * d1]), tf.reshape(x, [d0 * d1, P])), [P]);
}
