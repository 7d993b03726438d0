import * as tf from '@tensorflow/tfjs-core';
import { clipFactors } from './clip.js';
import { LayoutOps, useGrad } from './layout.js';
import type { TapGradients } from './types.js';

/**
 * Reference path: each example's gradient materialised, [B, ...use shape] by parameter
 * (memory B times the model; for tests and small models). Parameters used in column blocks
 * are not supported here (dp-canary's models have none).
 */
export function materializedPerExampleGradients(pass: TapGradients): Map<string, tf.Tensor> {
  const ops = new LayoutOps(pass.layout);
  const out = new Map<string, tf.Tensor>();
  for (const use of pass.uses) {
    out.set(
      use.param,
      tf.tidy(() => {
        const g = useGrad(pass, use);
        const time = pass.layout === 'time-major' ? 0 : 1;
        if (use.kind === 'bias') return tf.sum(g, time); // [B, P]
        if (use.kind === 'scale') return tf.sum(tf.mul(use.input, g), time); // [B, P]
        const gt = ops.batchMajor(g);
        if (use.kind === 'embedding') {
          const onehot = tf.oneHot(ops.idsBatchMajor(use.ids), use.vocabSize); // [B, T, V]
          return tf.matMul(onehot, gt, true, false); // [B, V, E]
        }
        return tf.matMul(ops.batchMajor(use.input), gt, true, false); // [B, D, P]
      }),
    );
  }
  ops.dispose();
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
