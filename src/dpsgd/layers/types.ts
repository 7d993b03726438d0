import type * as tf from '@tensorflow/tfjs-core';

/**
 * How one parameter enters the network, which is all per-example clipping needs.
 *
 * Every parameter is used through exactly one "tap": a tensor of shape [T, B, P] added to the
 * pre-activation that the parameter feeds (zero, or the layer's bias, see TapSpec). Differentiating the loss with respect to the tap
 * gives g[t, i] = dL_i / dz[t, i] (the output gradient of example i at step t) without forming
 * any weight gradient. Then, per example i:
 * - `weight` (z_t = a_t W + ...): grad_i W = sum_t a[t, i]^T g[t, i]
 * - `bias` (z_t = ... + b): grad_i b = sum_t g[t, i]
 * - `embedding` (z_t = table[ids[t, i]] + ...): grad_i table = sum_t onehot(ids[t, i]) g[t, i]^T
 *   (`ownsIds`: the forward made the ids, e.g. positions, and the pass disposes them)
 * - `scale` (z_t = a_t * gamma + ..., elementwise, as LayerNorm's gain): grad_i gamma = sum_t a[t, i] * g[t, i]
 */
export type ParamUse =
  | { readonly kind: 'weight'; readonly param: string; readonly tap: string; readonly input: tf.Tensor3D }
  | { readonly kind: 'bias'; readonly param: string; readonly tap: string }
  | { readonly kind: 'embedding'; readonly param: string; readonly tap: string; readonly ids: tf.Tensor2D; readonly vocabSize: number; readonly ownsIds?: boolean }
  | { readonly kind: 'scale'; readonly param: string; readonly tap: string; readonly input: tf.Tensor3D };

/**
 * A tap's name and shape [T, B, P] (time-major). When `bias` names a parameter, the tap holds
 * that bias broadcast to the shape and the layer uses it IN PLACE of the bias (z = x W + tap),
 * which saves one [T, B, P] tensor per layer; its gradient is the same dL/dz.
 */
export interface TapSpec {
  readonly name: string;
  readonly shape: [number, number, number];
  readonly bias?: string;
}

/**
 * Collects what a forward pass with taps records. Tensors pushed here were `tf.keep`-ed inside
 * the gradient scope; the caller disposes them with `disposeUses`.
 */
export interface TapRecorder {
  /** The zero tap tensors by name (present only when the forward runs with taps). */
  readonly taps: ReadonlyMap<string, tf.Tensor3D>;
  readonly uses: ParamUse[];
}

/** Random dropout masks, already scaled by 1 / (1 - rate); one per named site. */
export type DropoutMasks = ReadonlyMap<string, tf.Tensor>;
