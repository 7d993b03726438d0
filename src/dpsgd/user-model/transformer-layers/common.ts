import type * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { InvalidArgumentError } from '../../../util/errors.js';

/** A tfjs-layers weight initializer (tf.initializers.*; the class is not exported by name). */
export type Initializer = ReturnType<typeof tfl.initializers.glorotUniform>;

/** The base options of every tfjs-layers layer (name, trainable, inputShape, ...). */
export type BaseLayerArgs = NonNullable<ConstructorParameters<typeof tfl.layers.Layer>[0]>;

/** The single input of a layer that takes one tensor. */
export function onlyInput(inputs: tf.Tensor | tf.Tensor[], layer: string): tf.Tensor {
  if (!Array.isArray(inputs)) return inputs;
  if (inputs.length !== 1) throw new InvalidArgumentError(`${layer} takes one input, got ${inputs.length}.`);
  return inputs[0]!;
}

/** The shape of the single input of a layer, as given to build / computeOutputShape. */
export function onlyShape(shape: tfl.Shape | tfl.Shape[], layer: string): tfl.Shape {
  if (Array.isArray(shape[0]) || shape.length === 0) {
    const list = shape as tfl.Shape[];
    if (list.length !== 1) throw new InvalidArgumentError(`${layer} takes one input, got ${list.length}.`);
    return list[0]!;
  }
  return shape as tfl.Shape;
}

/** The width d of a [B, T, d] input shape (known when the layer is built). */
export function widthOf(shape: tfl.Shape, layer: string): number {
  if (shape.length !== 3) throw new InvalidArgumentError(`${layer} expects inputs of shape [batch, positions, width], got rank ${shape.length}.`);
  const d = shape[2];
  if (d === null || d === undefined) throw new InvalidArgumentError(`${layer} needs a known input width (the last axis).`);
  return d;
}
