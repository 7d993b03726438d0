import type * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';

/** A tfjs-layers layer (the class is not exported by name from the package's index). */
export type Layer = LayersModel['layers'][number];

/**
 * How one trainable weight enters a user's model, which is all per-example clipping needs.
 * Every layout is batch-major: B examples, T positions per example (time steps, pixels of a
 * convolution's output, or 1), then features. `tap` names a captured pre-activation
 * z [B, T, P]; after the backward pass g = dL/dz, and for example i:
 * - `linear` (z_t = a_t W): grad_i W = sum_t a[i, t]^T g[i, t]. `tapColumns` / `paramColumns`
 *   restrict it to a block of columns of z and of W (GRU's recurrent kernel feeds two blocks);
 *   W of any rank is seen as [D, P] (a conv kernel [kh, kw, cin, cout] as [kh*kw*cin, cout]).
 * - `bias` (z_t = ... + b): grad_i b = sum_t g[i, t].
 * - `embedding` (z_t = table[ids[i, t]]): grad_i table = sum_t onehot(ids[i, t]) g[i, t]^T.
 * - `scale` (z_t = a_t * gamma elementwise, LayerNormalization): grad_i gamma = sum_t a[i, t] * g[i, t].
 */
export type ParamUse =
  | {
      readonly kind: 'linear';
      readonly param: tf.Variable;
      readonly tap: number;
      readonly input: tf.Tensor3D;
      readonly tapColumns?: readonly [number, number];
      readonly paramColumns?: readonly [number, number];
    }
  | { readonly kind: 'bias'; readonly param: tf.Variable; readonly tap: number }
  | { readonly kind: 'embedding'; readonly param: tf.Variable; readonly tap: number; readonly ids: tf.Tensor2D; readonly vocabSize: number }
  | { readonly kind: 'scale'; readonly param: tf.Variable; readonly tap: number; readonly input: tf.Tensor3D };

/** What a rule's forward pass may do besides computing. */
export interface RuleContext {
  /**
   * Marks a pre-activation z (first axis = batch) whose output gradient clipping needs; returns
   * the value to continue with (equal to z) and the tap id for ParamUses.
   */
  capture(z: tf.Tensor): { value: tf.Tensor; tap: number };
  /** Records a use; tensors in it are kept until the step ends. */
  use(u: ParamUse): void;
  /** true in training (dropout on); rules here have no training-only behaviour of their own. */
  readonly training: boolean;
}

/**
 * A per-layer rule: the layer's forward pass written with the same tfjs ops as the layer (so
 * outputs agree), capturing pre-activations and recording the uses of each trainable weight.
 * `check` returns why the rule cannot handle this layer's configuration, or null.
 */
export interface LayerRule {
  readonly className: string;
  check(layer: Layer): string | null;
  forward(layer: Layer, inputs: tf.Tensor[], ctx: RuleContext): tf.Tensor;
}
