import * as tf from '@tensorflow/tfjs-core';
import { rowSquaredNorms2d } from '../kernels/weighted-row-sum.js';
import { type LayoutOps, tapDims, useGrad } from './layout.js';
import type { NormMethod, ParamUse, TapGradients } from './types.js';

/**
 * One unit of work's contribution to the clipping: per-example squared norms [B] and, when it
 * was cheaper to form them, the per-example gradients [B, size] (then the clipped sum is c^T of them).
 */
export interface UseNorm {
  readonly squaredNorms: tf.Tensor1D;
  readonly perExample: tf.Tensor2D | null;
}

/** Largest block of per-example weight gradients (B * D * P floats) 'auto' forms. */
export const MAX_PER_EXAMPLE_FLOATS = 32 * 2 ** 20;

/** Largest per-example embedding gradient block (B * V * E floats) formed instead of Gram matrices. */
const MAX_EMBEDDING_FLOATS = 16 * 2 ** 20;

/**
 * How the norm of a `linear` use's gradient [D, P] at T positions is computed:
 * - 'product' ('auto' at T = 1): ||a||^2 ||g||^2, cost B (D + P);
 * - 'materialize': per-example gradients, cost B T D P; they make the clipped sum nearly free
 *   (c^T times them), while Gram matrices cost B T^2 (D + P) plus the B T D P contraction for
 *   the sum; so 'auto' forms them whenever they fit. Measured (wasm, LSTM 128, T = 50, B = 256):
 *   they do not raise the step's peak memory (which is in the backward pass) while at most ~4x
 *   the size of the layer's activations and output gradients; beyond that, or beyond 128 MiB,
 *   'auto' uses Gram matrices;
 * - 'gram': sum_{t,s} (a_t.a_s)(g_t.g_s).
 */
export function linearNormPlan(method: NormMethod, T: number, B: number, D: number, P: number): 'product' | 'materialize' | 'gram' {
  if (method === 'ghost') return 'gram';
  if (method === 'materialize') return 'materialize';
  if (T === 1) return 'product';
  if (T * (D + P) >= D * P) return 'materialize';
  return D * P <= 4 * T * (D + P) && B * D * P <= MAX_PER_EXAMPLE_FLOATS ? 'materialize' : 'gram';
}

function gram(x: tf.Tensor3D): tf.Tensor3D {
  return tf.matMul(x, x, false, true);
}

/** Per-example squared norms [B] of one use's gradient, and its per-example gradients when formed. */
export function useNorm(pass: TapGradients, use: ParamUse, ops: LayoutOps, method: NormMethod): UseNorm {
  let result: UseNorm | null = null;
  tf.tidy(() => {
    result = computeUseNorm(pass, use, ops, method);
  });
  return result!;
}

/** Body of useNorm; runs inside a tidy and keeps only what it returns. */
function computeUseNorm(pass: TapGradients, use: ParamUse, ops: LayoutOps, method: NormMethod): UseNorm {
  const { B, T, P } = tapDims(pass, use);
  const g = useGrad(pass, use);
  const keep = (sq: tf.Tensor, pe: tf.Tensor | null): UseNorm => ({
    squaredNorms: tf.keep(sq as tf.Tensor1D),
    perExample: pe === null ? null : tf.keep(tf.reshape(pe, [B, -1]) as tf.Tensor2D),
  });
  // Per-example gradients [B, ...] and their squared norms.
  const keepPerExample = (pe: tf.Tensor): UseNorm => {
    const flat = tf.reshape(pe, [B, -1]) as tf.Tensor2D;
    return keep(rowSquaredNorms2d(flat), flat);
  };
  if (use.kind === 'bias') return keepPerExample(ops.sumOverTime(g)); // [B, P]
  if (use.kind === 'scale') return keepPerExample(ops.sumOverTime(tf.mul(use.input, g))); // [B, P]
  if (use.kind === 'embedding') {
    const V = use.vocabSize;
    // Per-example tables cost B V P floats and T B P adds; Gram matrices B T^2 P multiply-adds.
    if ((method === 'materialize' || (method === 'auto' && V <= T * T)) && B * V * P <= MAX_EMBEDDING_FLOATS) {
      // Scatter each example's output gradients onto its own copy of the table: segment b*V + id.
      const seg = tf.add(tf.reshape(use.ids, [T * B]), ops.exampleOffsets(B, T, V)) as tf.Tensor1D;
      const pe = tf.unsortedSegmentSum(tf.reshape(g, [T * B, P]), seg, B * V); // [B*V, P]
      return keepPerExample(pe);
    }
    const ids = ops.idsBatchMajor(use.ids); // [B, T]
    const same = tf.cast(tf.equal(tf.expandDims(ids, 2), tf.expandDims(ids, 1)), 'float32');
    return keep(tf.sum(tf.mul(same, gram(ops.batchMajor(g))), [1, 2]), null);
  }
  const D = use.input.shape[2];
  const at = ops.batchMajor(use.input);
  const gt = ops.batchMajor(g);
  const plan = linearNormPlan(method, T, B, D, P);
  if (plan === 'product') return keep(tf.mul(rowSquaredNorms2d(tf.reshape(at, [B, D])), rowSquaredNorms2d(tf.reshape(gt, [B, P]))), null);
  if (plan === 'materialize') return keepPerExample(tf.matMul(at, gt, true, false)); // [B, D, P]
  return keep(tf.sum(tf.mul(gram(at), gram(gt)), [1, 2]), null);
}

/**
 * Units of work: `linear` uses that share a tap whole (an LSTM's W and U both feed z_t) and
 * would each get per-example gradients are grouped, so one batched matmul over the
 * concatenated inputs [x_t, h_{t-1}] forms both (one larger matmul is faster on wasm).
 */
export function groupUses(pass: TapGradients, method: NormMethod): ParamUse[][] {
  const units: ParamUse[][] = [];
  const byTap = new Map<string, ParamUse[]>();
  for (const use of pass.uses) {
    const { B, T, P } = tapDims(pass, use);
    if (use.kind === 'linear' && !use.tapColumns && !use.paramColumns && linearNormPlan(method, T, B, use.input.shape[2], P) === 'materialize') {
      const group = byTap.get(use.tap);
      const total = (group ?? []).reduce((a, u) => a + linearInput(u).shape[2], use.input.shape[2]);
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

/** The input of a `linear` use (groups hold nothing else). */
export function linearInput(use: ParamUse): tf.Tensor3D {
  return (use as Extract<ParamUse, { kind: 'linear' }>).input;
}

/** Per-example gradients [B, (sum D) * P] of `linear` uses sharing one tap, from concatenated inputs. */
export function groupNorm(pass: TapGradients, unit: readonly ParamUse[], ops: LayoutOps): UseNorm {
  let result: UseNorm | null = null;
  tf.tidy(() => {
    const { B } = tapDims(pass, unit[0]!);
    const inputs = unit.map((u) => ops.batchMajor(linearInput(u)));
    const pe = tf.reshape(tf.matMul(tf.concat(inputs, 2), ops.batchMajor(useGrad(pass, unit[0]!)), true, false), [B, -1]) as tf.Tensor2D;
    result = { squaredNorms: tf.keep(rowSquaredNorms2d(pe)), perExample: tf.keep(pe) };
  });
  return result!;
}
