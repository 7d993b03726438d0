import * as tf from '@tensorflow/tfjs-core';
import type { RandomSource } from '../util/random.js';

/**
 * The stream that draws the noise of parameter `param` at step `step` (0-based):
 * `root.fork("step-<step>/param-<param>")`. A seeded run therefore draws the same noise for a
 * step after a resume; a secure root gives an independent node:crypto stream each time.
 */
export function noiseStream(root: RandomSource, step: number, param: string): RandomSource {
  return root.fork(`step-${step}/param-${param}`);
}

/** A tensor of independent N(0, std^2) draws (float32) from `random`. */
export function gaussianTensor(random: RandomSource, shape: readonly number[], std: number): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const z = new Float32Array(size);
  random.fillNormal(z);
  if (std !== 1) for (let k = 0; k < size; k++) z[k]! *= std;
  return tf.tensor(z, [...shape], 'float32');
}
