import type * as tf from '@tensorflow/tfjs-core';
import type { ParamUse } from '../per-example/types.js';

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
