import * as tf from '@tensorflow/tfjs-core';
import { weightedRowSum2d } from '../kernels/weighted-row-sum.js';
import { LayoutOps, sumOverRows, tapDims, useGrad } from './layout.js';
import { groupNorm, groupUses, linearInput, useNorm, type UseNorm } from './norms.js';
import type { NormMethod, ParamUse, TapGradients } from './types.js';

/**
 * The per-example clipping engine of every trainer (dp-canary's language models and a user's
 * tf.LayersModel): per-example squared gradient norms and clipped gradient sums from one
 * backward pass to the taps (types.ts), never forming a per-example gradient unless that is
 * cheaper (norms.ts).
 */

/** Added to the norm before dividing so an exactly zero gradient gets factor 1 (as Opacus does). */
export const CLIP_EPSILON = 1e-6;

/** Clip factors c_i = min(1, C / (norm_i + 1e-6)) from squared norms [B]; C > 0, may be Infinity (all 1). */
export function clipFactors(squaredNorms: tf.Tensor1D, clipNorm: number): tf.Tensor1D {
  return tf.tidy(() => {
    if (clipNorm === Infinity) return tf.onesLike(squaredNorms);
    return tf.minimum(tf.scalar(1), tf.div(tf.scalar(clipNorm), tf.add(tf.sqrt(squaredNorms), CLIP_EPSILON))) as tf.Tensor1D;
  });
}

/** A use's gradient shape: [D, P] for `linear` (its column block), [V, P] for embeddings, [P] else. */
function useShape(pass: TapGradients, use: ParamUse): number[] {
  const { P } = tapDims(pass, use);
  if (use.kind === 'bias' || use.kind === 'scale') return [P];
  if (use.kind === 'embedding') return [use.vocabSize, P];
  return [use.input.shape[2], P];
}

/**
 * sum_i c_i grad_i for one use by a single weighted contraction of the recorded activations and
 * output gradients (book-keeping, Bu et al. 2023): for a weight, (A scaled by c)^T G over all
 * T*B rows; `factors` null means all 1.
 */
function useWeightedSum(pass: TapGradients, use: ParamUse, factors: tf.Tensor1D | null, ops: LayoutOps): tf.Tensor {
  return tf.tidy(() => {
    const { B, T, P } = tapDims(pass, use);
    const g = useGrad(pass, use);
    const c3 = factors ? ops.exampleFactors(factors) : null;
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

/** One computed block of a parameter's clipped sum (a `linear` use may cover a column block). */
interface Block {
  readonly use: ParamUse;
  readonly sum: tf.Tensor;
}

/** Clipped sums by parameter: blocks of one parameter joined along columns (takes ownership of the blocks). */
function joinBlocks(blocks: readonly Block[]): Map<string, tf.Tensor> {
  const byParam = new Map<string, Block[]>();
  for (const b of blocks) byParam.set(b.use.param, [...(byParam.get(b.use.param) ?? []), b]);
  const out = new Map<string, tf.Tensor>();
  for (const [param, list] of byParam) {
    if (list.length === 1) {
      out.set(param, list[0]!.sum);
      continue;
    }
    const col = (b: Block): number => (b.use.kind === 'linear' ? (b.use.paramColumns?.[0] ?? 0) : 0);
    const sorted = [...list].sort((a, b) => col(a) - col(b));
    out.set(param, tf.concat(sorted.map((b) => b.sum), 1));
    tf.dispose(list.map((b) => b.sum));
  }
  return out;
}

/** Clipped (or, with factors null, plain) gradient sums by parameter name. */
export function weightedGradientSums(pass: TapGradients, factors: tf.Tensor1D | null): Map<string, tf.Tensor> {
  const ops = new LayoutOps(pass.layout);
  return joinBlocks(pass.uses.map((use) => ({ use, sum: useWeightedSum(pass, use, factors, ops) })));
}

/** Per-example squared norm of the whole gradient (all parameters), [B]. */
export function perExampleSquaredNorms(pass: TapGradients, method: NormMethod = 'auto'): tf.Tensor1D {
  return clipPass(pass, Infinity, method, false).squaredNorms;
}

/**
 * The fast path: per-example squared norms [B] of the whole gradient and (when `sums`) the
 * clipped sums sum_i c_i grad_i by parameter name (c_i = min(1, C / (norm_i + CLIP_EPSILON)),
 * `clipNorm` C > 0 or Infinity), from one tap pass. Per parameter, norms come from Gram matrices
 * or from per-example gradients (`method`, NormMethod); where per-example gradients were formed
 * the clipped sum is c^T times them, otherwise one weighted contraction. A `linear` parameter's
 * sum is [D, P] (reshape it to the variable's shape), an embedding's [V, P], others' [P].
 */
export function clipPass(
  pass: TapGradients,
  clipNorm: number,
  method: NormMethod = 'auto',
  sums = true,
): { squaredNorms: tf.Tensor1D; sums: Map<string, tf.Tensor> } {
  const ops = new LayoutOps(pass.layout);
  const units = groupUses(pass, method);
  const norms: UseNorm[] = [];
  try {
    for (const unit of units) norms.push(unit.length === 1 ? useNorm(pass, unit[0]!, ops, method) : groupNorm(pass, unit, ops));
    ops.dispose();
    // With one unit the reduce returns its own tensor, which `finally` disposes: copy it.
    const squaredNorms = tf.tidy(() => (norms.length === 1 ? tf.clone(norms[0]!.squaredNorms) : norms.slice(1).reduce((acc, n) => tf.add(acc, n.squaredNorms), norms[0]!.squaredNorms as tf.Tensor)) as tf.Tensor1D);
    if (!sums) return { squaredNorms, sums: new Map() };
    const factors = clipFactors(squaredNorms, clipNorm);
    const blocks: Block[] = [];
    units.forEach((unit, k) => {
      const pe = norms[k]!.perExample;
      if (pe === null) {
        blocks.push({ use: unit[0]!, sum: useWeightedSum(pass, unit[0]!, factors, ops) });
        return;
      }
      const flat = weightedRowSum2d(pe, factors); // sum_i c_i grad_i, all of the unit's parameters
      if (unit.length === 1) blocks.push({ use: unit[0]!, sum: tf.tidy(() => tf.reshape(flat, useShape(pass, unit[0]!))) });
      else {
        const rows = unit.map((u) => linearInput(u).shape[2]);
        const P = tapDims(pass, unit[0]!).P;
        const parts = tf.tidy(() => tf.split(tf.reshape(flat, [rows.reduce((a, b) => a + b, 0), P]), rows, 0));
        unit.forEach((use, j) => blocks.push({ use, sum: parts[j]! }));
      }
      flat.dispose();
    });
    factors.dispose();
    return { squaredNorms, sums: joinBlocks(blocks) };
  } finally {
    ops.dispose();
    for (const n of norms) {
      n.squaredNorms.dispose();
      n.perExample?.dispose();
    }
  }
}
