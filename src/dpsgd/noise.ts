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

/**
 * The private gradient of DP-SGD (Abadi et al. 2016): for each parameter,
 *   (sum_i clip_C(grad_i) + N(0, (noiseMultiplier * C)^2 I)) / expectedBatchSize,
 * where expectedBatchSize = q * N, the EXPECTED size of a Poisson batch (as Opacus and
 * TF Privacy do): dividing by the actual, data-dependent batch size would leak it.
 * noiseMultiplier = 0 adds nothing (and nothing is drawn). Consumes `sums` (disposes them).
 */
export function privatizeGradient(
  sums: Map<string, tf.Tensor>,
  o: { noiseMultiplier: number; clipNorm: number; expectedBatchSize: number; step: number; random: RandomSource },
): Map<string, tf.Tensor> {
  const std = o.noiseMultiplier * o.clipNorm;
  const out = new Map<string, tf.Tensor>();
  // Sorted names: the draw order does not depend on map insertion order.
  for (const name of [...sums.keys()].sort()) {
    const s = sums.get(name)!;
    out.set(name, std > 0 ? noisyMean(s, noiseStream(o.random, o.step, name), std, o.expectedBatchSize) : tf.tidy(() => tf.div(s, tf.scalar(o.expectedBatchSize))));
    s.dispose();
  }
  return out;
}

/**
 * (sum + N(0, std^2)) / denominator per coordinate, in one JS pass (three tensor ops per
 * parameter cost more than the arithmetic on wasm). Rounds to float32 at the same points as
 * the tensor ops did (noise * std, then + sum, then / denominator), so results are unchanged.
 */
function noisyMean(sum: tf.Tensor, random: RandomSource, std: number, denominator: number): tf.Tensor {
  const s = sum.dataSync() as Float32Array;
  const z = new Float32Array(s.length);
  random.fillNormal(z);
  const f = Math.fround;
  const d = f(denominator);
  for (let k = 0; k < z.length; k++) z[k] = f(s[k]! + f(z[k]! * std)) / d;
  return tf.tensor(z, [...sum.shape], 'float32');
}
