import * as tf from '@tensorflow/tfjs-core';
import type { ParamUse } from './layers/types.js';
import type { TapPass } from './taps.js';
import { rowSquaredNorms2d, weightedRowSum2d } from './kernels/weighted-row-sum.js';

/**
 * How per-example squared norms of weight gradients are computed (all give the same value):
 * - 'ghost': Gram matrices, ||sum_t a_t g_t^T||_F^2 = sum_{t,s} (a_t.a_s)(g_t.g_s); cost ~B T^2 (D+P).
 * - 'materialize': form each example's [D, P] gradient by one batched matmul; cost ~B T D P.
 * - 'auto': per weight, the cheaper of the two counting the clipped sum too (mixed ghost
 *   clipping, Bu et al. 2023), within memory limits; see materializeWeight.
 * Biases use per-example sums over time (||sum_t g_t||^2), LayerNorm gains (`scale`) the
 * per-example [B, P] sums over time of a_t * g_t. Embeddings use
 * sum_{t,s} [x_t == x_s] (g_t.g_s) ('ghost'), or per-example tables by a segment sum when the
 * vocabulary is small (V <= T^2, 'auto'; always with 'materialize').
 * Whatever the method, the clipped sum is exact: c^T times per-example gradients where those
 * were formed, else one weighted contraction. (~300 lines: norms and sums share caches, so
 * they stay in one file.)
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

/** sum_t g[t] for g [T, B, P], as a [1, T] x [T, B*P] matmul (a reduction over axis 0 is ~5x slower on wasm). */
function sumOverTime(g: tf.Tensor3D): tf.Tensor2D {
  const [T, B, P] = g.shape;
  return tf.reshape(tf.matMul(tf.ones([1, T]), tf.reshape(g, [T, B * P])), [B, P]);
}

/** sum over t and i of x[t, i] for x [T, B, P], as a [1, T B] x [T B, P] matmul. */
function sumOverRows(x: tf.Tensor): tf.Tensor1D {
  const [T, B, P] = x.shape as [number, number, number];
  return tf.reshape(tf.matMul(tf.ones([1, T * B]), tf.reshape(x, [T * B, P])), [P]);
}

/** Transposes to [B, T, .] shared by the uses of one pass (a tap feeds several parameters). */
class BatchMajorCache {
  private readonly map = new Map<tf.Tensor, tf.Tensor3D>();
  get(x: tf.Tensor3D): tf.Tensor3D {
    let y = this.map.get(x);
    // Kept: created inside one use's tidy, shared with the next uses.
    if (!y) this.map.set(x, (y = tf.keep(batchMajor(x))));
    return y;
  }
  dispose(): void {
    tf.dispose([...this.map.values()]);
    this.map.clear();
  }
}

/**
 * One parameter's contribution to the clipping: per-example squared norms [B] and, when it was
 * cheaper to form them, the per-example gradients [B, size] (then the clipped sum is c^T of them).
 */
interface UseNorm {
  readonly squaredNorms: tf.Tensor1D;
  readonly perExample: tf.Tensor2D | null;
}

/** Largest block of per-example weight gradients (B * D * P floats) 'auto' forms. */
export const MAX_PER_EXAMPLE_FLOATS = 32 * 2 ** 20;

/**
 * Whether 'auto' forms the per-example gradients of a weight [D, P] used at T steps. They cost
 * B T D P multiply-adds and make the clipped sum nearly free (c^T times them), while Gram
 * matrices cost B T^2 (D + P) plus the B T D P contraction for the sum; so forming them is
 * faster whenever they fit. Measured (wasm, LSTM 128, T = 50, B = 256): they do not raise the
 * step's peak memory (which is in the backward pass) while at most ~4x the size of the layer's
 * activations and output gradients; beyond that, or beyond 128 MiB, Gram matrices are used.
 */
function materializeWeight(method: NormMethod, T: number, B: number, D: number, P: number): boolean {
  if (method !== 'auto') return method === 'materialize';
  if (T * (D + P) >= D * P) return true;
  return D * P <= 4 * T * (D + P) && B * D * P <= MAX_PER_EXAMPLE_FLOATS;
}

/** Largest per-example embedding gradient block (B * V * E floats) formed instead of Gram matrices. */
const MAX_EMBEDDING_FLOATS = 16 * 2 ** 20;

function useNorm(use: ParamUse, g: tf.Tensor3D, cache: BatchMajorCache, method: NormMethod): UseNorm {
  let result: UseNorm | null = null;
  tf.tidy(() => {
    result = computeUseNorm(use, g, cache, method);
  });
  return result!;
}

/** Body of useNorm; runs inside a tidy and keeps only what it returns. */
function computeUseNorm(use: ParamUse, g: tf.Tensor3D, cache: BatchMajorCache, method: NormMethod): UseNorm {
  {
    const [T, B, P] = g.shape;
    const keep = (sq: tf.Tensor, pe: tf.Tensor | null): UseNorm => ({
      squaredNorms: tf.keep(sq as tf.Tensor1D),
      perExample: pe === null ? null : tf.keep(tf.reshape(pe, [B, -1]) as tf.Tensor2D),
    });
    // Per-example gradients [B, ...] and their squared norms.
    const keepPerExample = (pe: tf.Tensor): UseNorm => {
      const flat = tf.reshape(pe, [B, -1]) as tf.Tensor2D;
      return keep(rowSquaredNorms2d(flat), flat);
    };
    if (use.kind === 'bias') return keepPerExample(sumOverTime(g)); // [B, P]
    if (use.kind === 'scale') return keepPerExample(sumOverTime(tf.mul(use.input, g))); // [B, P]
    if (use.kind === 'embedding') {
      const V = use.vocabSize;
      // Per-example tables cost B V P floats and T B P adds; Gram matrices B T^2 P multiply-adds.
      if ((method === 'materialize' || (method === 'auto' && V <= T * T)) && B * V * P <= MAX_EMBEDDING_FLOATS) {
        // Scatter each example's output gradients onto its own copy of the table: segment b*V + id.
        const seg: tf.Tensor1D = tf.add(tf.reshape(use.ids, [T * B]) as tf.Tensor1D, tf.tile(tf.mul(tf.range(0, B, 1, 'int32'), tf.scalar(V, 'int32')) as tf.Tensor1D, [T]));
        const pe = tf.unsortedSegmentSum(tf.reshape(g, [T * B, P]), seg, B * V); // [B*V, P]
        return keepPerExample(pe);
      }
      const ids = tf.transpose(use.ids) as tf.Tensor2D; // [B, T]
      const same = tf.cast(tf.equal(tf.expandDims(ids, 2), tf.expandDims(ids, 1)), 'float32');
      return keep(tf.sum(tf.mul(same, gram(cache.get(g))), [1, 2]), null);
    }
    const D = use.input.shape[2];
    const at = cache.get(use.input);
    const gt = cache.get(g);
    if (materializeWeight(method, T, B, D, P)) {
      return keepPerExample(tf.matMul(at, gt, true, false)); // [B, D, P]
    }
    return keep(tf.sum(tf.mul(gram(at), gram(gt)), [1, 2]), null);
  }
}

/** Per-example squared L2 norm [B] of one parameter's gradient. */
export function useSquaredNorms(use: ParamUse, g: tf.Tensor3D, method: NormMethod): tf.Tensor1D {
  const cache = new BatchMajorCache();
  const n = useNorm(use, g, cache, method);
  cache.dispose();
  n.perExample?.dispose();
  return n.squaredNorms;
}

/** Per-example squared norm of the whole gradient (all parameters), [B]. */
export function perExampleSquaredNorms(pass: TapPass, method: NormMethod = 'auto'): tf.Tensor1D {
  return clipPass(pass, Infinity, method, false).squaredNorms;
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
    if (use.kind === 'scale') return sumOverRows(tf.mul(tf.mul(use.input, g), c3 ?? 1));
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

function paramShape(use: ParamUse, g: tf.Tensor3D): number[] {
  const P = g.shape[2];
  if (use.kind === 'bias' || use.kind === 'scale') return [P];
  if (use.kind === 'embedding') return [use.vocabSize, P];
  return [use.input.shape[2], P];
}

/**
 * The fast path: per-example squared norms [B] of the whole gradient and (when `sums`) the
 * clipped sums by parameter, from one tap pass. Per parameter, norms come from Gram matrices
 * or from per-example gradients, whichever is cheaper ('auto'); where per-example gradients
 * were formed the clipped sum is c^T times them, otherwise one weighted contraction.
 */
export function clipPass(
  pass: TapPass,
  clipNorm: number,
  method: NormMethod = 'auto',
  sums = true,
): { squaredNorms: tf.Tensor1D; sums: Map<string, tf.Tensor> } {
  const cache = new BatchMajorCache();
  const units = groupUses(pass, method);
  const norms: UseNorm[] = [];
  try {
    for (const unit of units) {
      const g = pass.grads.get(unit[0]!.tap)!;
      norms.push(unit.length === 1 ? useNorm(unit[0]!, g, cache, method) : groupNorm(unit, g, cache));
    }
    cache.dispose();
    // With one unit the reduce returns its own tensor, which `finally` disposes: copy it.
    const squaredNorms = tf.tidy(() => (norms.length === 1 ? tf.clone(norms[0]!.squaredNorms) : norms.slice(1).reduce((acc, n) => tf.add(acc, n.squaredNorms), norms[0]!.squaredNorms as tf.Tensor)) as tf.Tensor1D);
    const out = new Map<string, tf.Tensor>();
    if (sums) {
      const factors = clipFactors(squaredNorms, clipNorm);
      units.forEach((unit, k) => {
        const g = pass.grads.get(unit[0]!.tap)!;
        const pe = norms[k]!.perExample;
        if (pe === null) {
          out.set(unit[0]!.param, useWeightedSum(unit[0]!, g, factors));
          return;
        }
        const flat = weightedRowSum2d(pe, factors); // sum_i c_i grad_i, all of the unit's parameters
        if (unit.length === 1) out.set(unit[0]!.param, tf.tidy(() => tf.reshape(flat, paramShape(unit[0]!, g))));
        else {
          const rows = unit.map((u) => (u as Extract<ParamUse, { kind: 'weight' }>).input.shape[2]);
          const parts = tf.tidy(() => tf.split(tf.reshape(flat, [rows.reduce((a, b) => a + b, 0), g.shape[2]]), rows, 0));
          unit.forEach((u, j) => out.set(u.param, parts[j]!));
        }
        flat.dispose();
      });
      factors.dispose();
    }
    return { squaredNorms, sums: out };
  } finally {
    cache.dispose();
    for (const n of norms) {
      n.squaredNorms.dispose();
      n.perExample?.dispose();
    }
  }
}

/**
 * Units of work for clipPass: weights that share a tap (an LSTM's W and U both feed z_t) and
 * would each get per-example gradients are grouped, so one batched matmul over the
 * concatenated inputs [x_t, h_{t-1}] forms both (one larger matmul is faster on wasm).
 */
function groupUses(pass: TapPass, method: NormMethod): ParamUse[][] {
  const units: ParamUse[][] = [];
  const byTap = new Map<string, ParamUse[]>();
  for (const use of pass.uses) {
    const g = pass.grads.get(use.tap)!;
    const [T, B, P] = g.shape;
    if (use.kind === 'weight' && materializeWeight(method, T, B, use.input.shape[2], P)) {
      const group = byTap.get(use.tap);
      const total = (group ?? []).reduce((a, u) => a + (u as Extract<ParamUse, { kind: 'weight' }>).input.shape[2], use.input.shape[2]);
      if (group && (method === 'materialize' || B * total * P <= MAX_PER_EXAMPLE_FLOATS)) {
        group.push(use);
        continue;
      }
      const fresh = [use];
      byTap.set(use.tap, fresh);
      units.push(fresh);
      continue;
    }
    units.push([use]);
  }
  return units;
}

/** Per-example gradients [B, (sum D) * P] of weights sharing one tap, from concatenated inputs. */
function groupNorm(unit: ParamUse[], g: tf.Tensor3D, cache: BatchMajorCache): UseNorm {
  let result: UseNorm | null = null;
  tf.tidy(() => {
    const inputs = unit.map((u) => cache.get((u as Extract<ParamUse, { kind: 'weight' }>).input));
    const pe = tf.reshape(tf.matMul(tf.concat(inputs, 2), cache.get(g), true, false), [g.shape[1], -1]) as tf.Tensor2D; // [B, sum D * P]
    result = { squaredNorms: tf.keep(rowSquaredNorms2d(pe)), perExample: tf.keep(pe) };
  });
  return result!;
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
        if (use.kind === 'scale') return tf.sum(tf.mul(use.input, g), 0); // [B, P]
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
