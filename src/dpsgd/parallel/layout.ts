import * as tf from '@tensorflow/tfjs-core';
import { parameterShapes, type LanguageModel, type LanguageModelConfig } from '../model.js';

/**
 * Where each parameter lives in one flat float32 buffer: the wire format between the
 * coordinator and its workers (weights out, gradient sums back). Parameters are laid out in
 * parameterShapes' order, which depends only on the config, so both sides agree.
 */
export interface ParamLayout {
  readonly names: readonly string[];
  readonly shapes: readonly (readonly number[])[];
  /** Start of each parameter, in floats. */
  readonly offsets: readonly number[];
  /** Total floats. */
  readonly size: number;
}

export function paramLayout(config: LanguageModelConfig): ParamLayout {
  const names: string[] = [];
  const shapes: number[][] = [];
  const offsets: number[] = [];
  let size = 0;
  for (const { name, shape } of parameterShapes(config)) {
    names.push(name);
    shapes.push(shape);
    offsets.push(size);
    size += shape.reduce((a, b) => a * b, 1);
  }
  return { names, shapes, offsets, size };
}

/** Copies the model's current weights into `out` (layout order). */
export function writeWeights(model: LanguageModel, layout: ParamLayout, out: Float32Array): void {
  layout.names.forEach((name, i) => out.set(model.param(name).dataSync() as Float32Array, layout.offsets[i]));
}

/** Sets the model's weights from `src` (layout order). */
export function readWeights(model: LanguageModel, layout: ParamLayout, src: Float32Array): void {
  layout.names.forEach((name, i) => {
    const v = model.param(name);
    const off = layout.offsets[i]!;
    tf.tidy(() => v.assign(tf.tensor(src.subarray(off, off + v.size), v.shape, 'float32')));
  });
}

/** Writes tensors by name into `out` (layout order); every parameter must be present. */
export function writeTensors(tensors: ReadonlyMap<string, tf.Tensor>, layout: ParamLayout, out: Float32Array): void {
  layout.names.forEach((name, i) => out.set(tensors.get(name)!.dataSync() as Float32Array, layout.offsets[i]));
}

/** Tensors by name from a flat buffer (copies). */
export function tensorsFrom(src: Float32Array, layout: ParamLayout): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  layout.names.forEach((name, i) => {
    const off = layout.offsets[i]!;
    const shape = layout.shapes[i]!;
    const n = shape.reduce((a, b) => a * b, 1);
    out.set(name, tf.tensor(src.subarray(off, off + n), [...shape], 'float32'));
  });
  return out;
}
