import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { seededRandom } from '../../../src/util/random.js';
import type { PerExampleLoss } from '../../../src/dpsgd/user-model/losses.js';

/** Sets every weight of the model to uniform(-scale, scale) draws from a fixed seed. */
export function seedWeights(model: LayersModel, seed: string, scale = 0.5): void {
  const r = seededRandom(seed);
  model.setWeights(model.weights.map((w) => tf.tensor(Float32Array.from({ length: w.shape.reduce<number>((a, b) => a * (b ?? 1), 1) }, () => (2 * r.uniform() - 1) * scale), w.shape as number[])));
}

export function uniform(shape: number[], seed: string, lo = -1, hi = 1): tf.Tensor {
  const r = seededRandom(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => lo + (hi - lo) * r.uniform()), shape);
}

export function ints(shape: number[], n: number, seed: string): tf.Tensor {
  const r = seededRandom(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Int32Array.from({ length: size }, () => r.int(n)), shape, 'int32');
}

/**
 * The reference: one example at a time, tfjs autodiff of that example's loss through the
 * model's OWN layers (model.apply, no rule code), then norms, clipping and sums in float64.
 */
export function bruteForce(model: LayersModel, xs: tf.Tensor[], y: tf.Tensor, loss: PerExampleLoss, clipNorm: number): { norms: number[]; sums: Map<string, Float64Array> } {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const sums = new Map(vars.map((v) => [v.name, new Float64Array(v.size)]));
  const norms: number[] = [];
  for (let i = 0; i < y.shape[0]; i++) {
    const { grads, value } = tf.variableGrads(() => {
      const xi = xs.map((x) => tf.slice(x, i, 1));
      return tf.sum(loss(tf.slice(y, i, 1), model.apply(xi.length === 1 ? xi[0]! : xi, { training: true }) as tf.Tensor)) as tf.Scalar;
    }, vars);
    value.dispose();
    const flat = new Map(vars.map((v) => [v.name, Float64Array.from(grads[v.name]?.dataSync() ?? new Float32Array(v.size))]));
    tf.dispose(Object.values(grads));
    let sq = 0;
    for (const g of flat.values()) for (const v of g) sq += v * v;
    const norm = Math.sqrt(sq);
    norms.push(norm);
    const c = Math.min(1, clipNorm / (norm + 1e-6));
    for (const [n, g] of flat) {
      const s = sums.get(n)!;
      for (let k = 0; k < g.length; k++) s[k]! += c * g[k]!;
    }
  }
  return { norms, sums };
}

/** max |a - b| / max |b| (0 when b is all zero and a equals it). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let k = 0; k < b.length; k++) {
    num = Math.max(num, Math.abs(a[k]! - b[k]!));
    den = Math.max(den, Math.abs(b[k]!));
  }
  return den === 0 ? num : num / den;
}
