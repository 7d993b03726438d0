/**
 * The stages of one DP-SGD step, named as Opacus's DPOptimizer names them, and shared by both
 * trainers: `train` (dp-canary's language models, logical-batch.ts) and `fitPrivately` (a
 * user's tf.LayersModel, user-model/fit.ts).
 *
 *   1. sample             Poisson sampling of the logical batch (runStepLoop, sampler.ts)
 *   2. per-sample norms   each example's gradient norm (the model family's ghost-norm engine)
 *   3. clip and accumulate each physical chunk's clipped per-example gradients, summed into
 *                         the step's accumulator ({@link clipAndAccumulate})
 *   4. add noise          N(0, (sigma C)^2) per coordinate, once per logical step ({@link addNoise})
 *   5. scale grad         division by the EXPECTED batch size q N ({@link scaleGrad})
 *   6. optimizer step     the model family's optimizer applies the result
 *
 * Stages 1 and 4-5 and the ledger are the same code for both; 2-3 differ only in how a model
 * family computes a chunk's clipped sum; 6 in the optimizer type.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { RandomSource } from '../util/random.js';
import { noiseStream } from './noise.js';

/**
 * Opacus's clip_and_accumulate, the accumulating half: adds one chunk's clipped sums `add` into
 * the step's accumulator (consuming both tensors of each pair); null starts one.
 */
export function clipAndAccumulate(acc: Map<string, tf.Tensor> | null, add: Map<string, tf.Tensor>): Map<string, tf.Tensor> {
  if (acc === null) return add;
  for (const [name, t] of add) {
    const prev = acc.get(name)!;
    acc.set(name, tf.add(prev, t));
    tf.dispose([prev, t]);
  }
  return acc;
}

/** A parameter's noised sum on the CPU (float32), between {@link addNoise} and {@link scaleGrad}. */
export interface NoisedSum {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/** What {@link addNoise} draws: noise std = noiseMultiplier * clipNorm, from the step's streams. */
export interface NoiseDraw {
  /** sigma >= 0; 0 adds nothing and draws nothing. */
  readonly noiseMultiplier: number;
  /** C > 0 (any value when sigma is 0). */
  readonly clipNorm: number;
  /** 0-based step: parameter p's noise comes from noiseStream(random, step, p). */
  readonly step: number;
  readonly random: RandomSource;
}

/**
 * Opacus's add_noise: sum + N(0, (sigma C)^2) per coordinate, rounded to float32 at the same
 * points as tensor ops would (noise * std, then + sum). Parameters are visited in sorted name
 * order so the draws do not depend on map insertion order. Consumes `sums`.
 */
export function addNoise(sums: Map<string, tf.Tensor>, o: NoiseDraw): Map<string, NoisedSum> {
  const std = o.noiseMultiplier * o.clipNorm;
  const f = Math.fround;
  const out = new Map<string, NoisedSum>();
  for (const name of [...sums.keys()].sort()) {
    const s = sums.get(name)!;
    // A copy: dataSync may return the backend's own buffer.
    const data = Float32Array.from(s.dataSync() as Float32Array);
    if (std > 0) {
      const z = new Float32Array(data.length);
      noiseStream(o.random, o.step, name).fillNormal(z);
      for (let k = 0; k < z.length; k++) data[k] = f(data[k]! + f(z[k]! * std));
    }
    out.set(name, { data, shape: [...s.shape] });
    s.dispose();
  }
  return out;
}

/**
 * Opacus's scale_grad: each noised sum divided by the EXPECTED logical batch size q N (> 0;
 * dividing by the actual, data-dependent size would leak it), in float32, as tensors.
 */
export function scaleGrad(noised: Map<string, NoisedSum>, expectedBatchSize: number): Map<string, tf.Tensor> {
  const d = Math.fround(expectedBatchSize);
  const out = new Map<string, tf.Tensor>();
  for (const [name, n] of noised) {
    const g = new Float32Array(n.data.length);
    for (let k = 0; k < g.length; k++) g[k] = n.data[k]! / d;
    out.set(name, tf.tensor(g, [...n.shape], 'float32'));
  }
  return out;
}

/**
 * Stages 4 and 5 (Abadi et al. 2016): (sum_i clip_C(grad_i) + N(0, (sigma C)^2 I)) / (q N) for
 * each parameter. Consumes `sums`.
 */
export function privatizeGradient(sums: Map<string, tf.Tensor>, o: NoiseDraw & { readonly expectedBatchSize: number }): Map<string, tf.Tensor> {
  return scaleGrad(addNoise(sums, o), o.expectedBatchSize);
}
