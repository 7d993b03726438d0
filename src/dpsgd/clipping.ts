import * as tf from '@tensorflow/tfjs-core';
import type { ParamUse } from './layers/types.js';
import type { TapPass } from './taps.js';

/**
 * How per-example squared norms of weight gradients are computed (all give the same value):
 * - 'ghost': Gram matrices, ||sum_t a_t g_t^T||_F^2 = sum_{t,s} (a_t.a_s)(g_t.g_s); cost ~B T^2 (D+P).
 * - 'materialize': form each example's [D, P] gradient by one batched matmul; cost ~B T D P.
 * - 'auto': per weight, the cheaper of the two (mixed ghost clipping, Bu et al. 2023).
 * Biases and embeddings always use their ghost forms (||sum_t g_t||^2 and
 * sum_{t,s} [x_t == x_s] (g_t.g_s)).
 */
export type NormMethod = 'ghost' | 'materialize' | 'auto';

/** Added to the norm before dividing so an exactly zero gradient gets factor 1 (as Opacus does). */
export const CLIP_EPSILON = 1e-6;

function batchMajor(x: tf.Tensor3D): tf.Tensor3D {
  return tf.transpose(x, [1, 0, 2]);
}

function gram(x: tf.Tensor3D): tf.Tensor3D {
  return tf.matMul(x, x, false, true);
}

/** Per-example squared L2 norm [B] of one parameter's gradient. */
export function useSquaredNorms(use: ParamUse, g: tf.Tensor3D, method: NormMethod): tf.Tensor1D {
  return tf.tidy(() => {
    const [T, B, P] = g.shape;
    if (use.kind === 'bias') return tf.sum(tf.square(tf.sum(g, 0)), 1) as tf.Tensor1D;
    const gt = batchMajor(g);
    if (use.kind === 'embedding') {
      const ids = tf.transpose(use.ids) as tf.Tensor2D; // [B, T]
      const same = tf.cast(tf.equal(tf.expandDims(ids, 2), tf.expandDims(ids, 1)), 'float32');
      return tf.sum(tf.mul(same, gram(gt)), [1, 2]) as tf.Tensor1D;
    }
    const D = use.input.shape[2];
    const at = batchMajor(use.input);
    const ghost = method === 'ghost' || (method === 'auto' && T * (D + P) < D * P);
    if (ghost) return tf.sum(tf.mul(gram(at), gram(gt)), [1, 2]) as tf.Tensor1D;
    void B;
    return tf.sum(tf.square(tf.matMul(at, gt, true, false)), [1, 2]) as tf.Tensor1D;
  });
}

/** Per-example squared norm of the whole gradient (all parameters), [B]. */
export function perExampleSquaredNorms(pass: TapPass, method: NormMethod = 'auto'): tf.Tensor1D {
  return tf.tidy(() => {
    let total: tf.Tensor1D | null = null;
    for (const use of pass.uses) {
      const n = useSquaredNorms(use, pass.grads.get(use.tap)!, method);
      total = total === null ? n : (tf.add(total, n) as tf.Tensor1D);
    }
    return total!;
  });
}

/** Clip factors c_i = min(1, C / (norm_i + 1e-6)) from squared norms [B]; C may be Infinity (all 1). */
export function clipFactors(squaredNorms: tf.Tensor1D, clipNorm: number): tf.Tensor1D {
  return tf.tidy(() => {
    if (clipNorm === Infinity) return tf.onesLike(squaredNorms);
    return tf.minimum(tf.scalar(1), tf.div(tf.scalar(clipNorm), tf.add(tf.sqrt(squaredNorms), CLIP_EPSILON))) as tf.Tensor1D;
  });
}

/**
 * sum_i c_i grad_i for one parameter by a single weighted contraction of the recorded
 * activations and output gradients (book-keeping, Bu et al. 2023): for a weight,
 * (A scaled by c)^T G over all T*B rows; `factors` null means all 1.
 */
export function useWeightedSum(use: ParamUse, g: tf.Tensor3D, factors: tf.Tensor1D | null): tf.Tensor {
  return tf.tidy(() => {
    const [T, B, P] = g.shape;
    const c3 = factors ? tf.reshape(factors, [1, B, 1]) : null;
    if (use.kind === 'bias') return tf.sum(c3 ? tf.mul(g, c3) : g, [0, 1]);
    if (use.kind === 'embedding') {
      const scaled = c3 ? tf.mul(g, c3) : g;
      return tf.unsortedSegmentSum(tf.reshape(scaled, [T * B, P]), tf.reshape(use.ids, [T * B]), use.vocabSize);
    }
    const D = use.input.shape[2];
    // Scale whichever side is smaller.
    let a: tf.Tensor = use.input;
    let gg: tf.Tensor = g;
    if (c3) {
      if (D <= P) a = tf.mul(a, c3);
      else gg = tf.mul(gg, c3);
    }
    return tf.matMul(tf.reshape(a, [T * B, D]), tf.reshape(gg, [T * B, P]), true, false);
  });
}

/** Clipped (or, with factors null, plain) gradient sums by parameter name. */
export function weightedGradientSums(pass: TapPass, factors: tf.Tensor1D | null): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const use of pass.uses) out.set(use.param, useWeightedSum(use, pass.grads.get(use.tap)!, factors));
  return out;
}

/**
 * Reference path: each example's gradient materialised, [B, ...paramShape] by parameter
 * (memory B times the model; for tests and small models).
 */
export function materializedPerExampleGradients(pass: TapPass): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const use of pass.uses) {
    const g = pass.grads.get(use.tap)!;
    out.set(
      use.param,
      tf.tidy(() => {
        if (use.kind === 'bias') return tf.sum(g, 0);
        const gt = batchMajor(g);
        if (use.kind === 'embedding') {
          const onehot = tf.oneHot(tf.transpose(use.ids) as tf.Tensor2D, use.vocabSize); // [B, T, V]
          return tf.matMul(onehot, gt, true, false); // [B, V, E]
        }
        return tf.matMul(batchMajor(use.input), gt, true, false); // [B, D, P]
      }),
    );
  }
  return out;
}

/** Clip materialised per-example gradients: returns squared norms [B] and the clipped sums. */
export function clipMaterialized(perExample: Map<string, tf.Tensor>, clipNorm: number): { squaredNorms: tf.Tensor1D; sums: Map<string, tf.Tensor> } {
  const squaredNorms = tf.tidy(() => {
    let total: tf.Tensor | null = null;
    for (const g of perExample.values()) {
      const axes = g.shape.slice(1).map((_, k) => k + 1);
      const n = tf.sum(tf.square(g), axes);
      total = total === null ? n : tf.add(total, n);
    }
    return total as tf.Tensor1D;
  });
  const factors = clipFactors(squaredNorms, clipNorm);
  const sums = new Map<string, tf.Tensor>();
  for (const [name, g] of perExample) {
    sums.set(
      name,
      tf.tidy(() => tf.sum(tf.mul(g, tf.reshape(factors, [factors.shape[0], ...g.shape.slice(1).map(() => 1)])), 0)),
    );
  }
  factors.dispose();
  return { squaredNorms, sums };
}
