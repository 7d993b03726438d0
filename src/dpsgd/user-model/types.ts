import type * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { ParamUse } from '../per-example/types.js';

/** A tfjs-layers layer (the class is not exported by name from the package's index). */
export type Layer = LayersModel['layers'][number];

/** What a rule's forward pass may do besides computing. */
export interface RuleContext {
  /**
   * Marks a pre-activation z (first axis = batch) whose output gradient clipping needs; returns
   * the value to continue with (equal to z) and the tap name for ParamUses. Taps and the
   * uses' tensors are batch-major: z [B, T.., P] is seen as [B, T, P] (T = all middle axes).
   */
  capture(z: tf.Tensor): { value: tf.Tensor; tap: string };
  /** Records a use (`param`: the tf.Variable's name); tensors in it are kept until the step ends. */
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
