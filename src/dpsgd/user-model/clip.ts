import * as tf from '@tensorflow/tfjs-core';
// The same norm methods, size limit and clip factors as the language-model path.
import { clipFactors, MAX_PER_EXAMPLE_FLOATS, type NormMethod } from '../clipping.js';
import type { TapSession } from './tap-session.js';
import type { ParamUse } from './types.js';

export type { NormMethod };

/**
 * Whether to form the per-example gradients [B, D, P] of a linear use at T positions rather than
 * use Gram matrices ("ghost norms", sum_{t,s} (a_t.a_s)(g_t.g_s), cost B T^2 (D + P)): forming
 * them costs B T D P and makes the clipped sum a cheap c^T product (mixed ghost clipping,
 * Bu et al. 2023). T = 1 needs neither: the norm is ||a|| ||g||.
 */
function materialize(method: NormMethod, T: number, B: number, D: number, P: number): boolean {
  if (method !== 'auto') return method === 'materialize';
  if (B * D * P > MAX_PER_EXAMPLE_FLOATS) return false;
  return T * T * (D + P) >= T * D * P || D * P <= 4 * T * (D + P);
}

interface UseNorm {
  readonly squaredNorms: tf.Tensor1D;
  /** Per-example gradients [B, D, P] (or [B, P]) when formed, else null. */
  readonly perExample: tf.Tensor | null;
}

function columns(g: tf.Tensor3D, cols: readonly [number, number] | undefined): tf.Tensor3D {
  return cols ? (tf.slice(g, [0, 0, cols[0]], [-1, -1, cols[1] - cols[0]]) as tf.Tensor3D) : g;
}

function rowSq(x: tf.Tensor): tf.Tensor1D {
  const B = x.shape[0];
  return tf.sum(tf.square(tf.reshape(x, [B, -1])), 1) as tf.Tensor1D;
}

/** Per-example squared norm of one use's gradient (and the per-example gradients when formed). */
function useNorm(use: ParamUse, session: TapSession, method: NormMethod): UseNorm {
  let result!: UseNorm;
  tf.tidy(() => {
    result = computeUseNorm(use, session, method);
  });
  return result;
}

/** Body of useNorm (inside a tidy: keeps only what it returns). */
function computeUseNorm(use: ParamUse, session: TapSession, method: NormMethod): UseNorm {
  {
    const g = use.kind === 'linear' ? columns(session.grad(use.tap), use.tapColumns) : session.grad(use.tap);
    const [B, T, P] = g.shape;
    const kept = (sq: tf.Tensor, pe: tf.Tensor | null): UseNorm => ({ squaredNorms: tf.keep(sq as tf.Tensor1D), perExample: pe ? tf.keep(pe) : null });
    switch (use.kind) {
      case 'bias': {
        const pe = tf.sum(g, 1);
        return kept(rowSq(pe), pe);
      }
      case 'scale': {
        const pe = tf.sum(tf.mul(use.input, g), 1);
        return kept(rowSq(pe), pe);
      }
      case 'embedding': {
        const V = use.vocabSize;
        if (method === 'materialize' || (method === 'auto' && V <= T * T && B * V * P <= MAX_PER_EXAMPLE_FLOATS)) {
          // Each example's output gradients scattered onto its own copy of the table.
          const seg = tf.add(use.ids, tf.mul(tf.expandDims(tf.range(0, B, 1, 'int32'), 1), tf.scalar(V, 'int32')));
          const pe = tf.reshape(tf.unsortedSegmentSum(tf.reshape(g, [B * T, P]), tf.reshape(seg, [B * T]), B * V), [B, V * P]);
          return kept(rowSq(pe), pe);
        }
        const same = tf.cast(tf.equal(tf.expandDims(use.ids, 2), tf.expandDims(use.ids, 1)), 'float32');
        return kept(tf.sum(tf.mul(same, tf.matMul(g, g, false, true)), [1, 2]), null);
      }
      case 'linear': {
        const a = use.input;
        const D = a.shape[2];
        if (T === 1 && method === 'auto') return kept(tf.mul(rowSq(a), rowSq(g)), null);
        if (materialize(method, T, B, D, P)) {
          const pe = tf.matMul(a, g, true, false); // [B, D, P]
          return kept(rowSq(pe), pe);
        }
        return kept(tf.sum(tf.mul(tf.matMul(a, a, false, true), tf.matMul(g, g, false, true)), [1, 2]), null);
      }
    }
  }
}

/** sum_i c_i grad_i of one use, [D, P] for linear uses, else the parameter's shape flattened. */
function useClippedSum(use: ParamUse, n: UseNorm, c: tf.Tensor1D, session: TapSession): tf.Tensor {
  return tf.tidy(() => {
    const B = c.shape[0];
    if (n.perExample) {
      const flat = tf.reshape(n.perExample, [B, -1]);
      const s = tf.matMul(tf.reshape(c, [1, B]), flat);
      return tf.reshape(s, n.perExample.shape.slice(1));
    }
    const g = use.kind === 'linear' ? columns(session.grad(use.tap), use.tapColumns) : session.grad(use.tap);
    const [, T, P] = g.shape;
    const cg = tf.mul(g, tf.reshape(c, [B, 1, 1]));
    if (use.kind === 'embedding') {
      return tf.unsortedSegmentSum(tf.reshape(cg, [B * T, P]), tf.reshape(use.ids, [B * T]), use.vocabSize);
    }
    if (use.kind === 'bias') return tf.sum(cg, [0, 1]);
    if (use.kind === 'scale') return tf.sum(tf.mul(cg, use.input), [0, 1]);
    const D = use.input.shape[2];
    return tf.matMul(tf.reshape(use.input, [B * T, D]) as tf.Tensor2D, tf.reshape(cg, [B * T, P]) as tf.Tensor2D, true, false);
  });
}

/**
 * Per-example norms (over all trainable weights) and the clipped sum sum_i c_i grad_i by
 * weight name, from a finished tap session. Uses of one weight cover disjoint column blocks,
 * so their squared norms add.
 */
export function clipSession(
  session: TapSession,
  clipNorm: number,
  method: NormMethod = 'auto',
  withNorms = true,
): { sums: Map<string, tf.Tensor>; norms: Float32Array } {
  if (session.uses.length === 0) return { sums: new Map(), norms: new Float32Array(0) };
  // Without clipping (C = Infinity) and no norms wanted, every c_i = 1: skip the norms.
  const skip = clipNorm === Infinity && !withNorms;
  const B = session.batchSize(session.uses[0]!.tap);
  const norms: UseNorm[] = skip
    ? session.uses.map(() => ({ squaredNorms: tf.zeros([B]) as tf.Tensor1D, perExample: null }))
    : session.uses.map((u) => useNorm(u, session, method));
  try {
    const total = tf.tidy(() => norms.map((n) => n.squaredNorms).reduce((a, b) => tf.add(a, b)) as tf.Tensor1D);
    const c = clipFactors(total, clipNorm);
    const parts = new Map<string, { param: tf.Variable; blocks: { col: number; t: tf.Tensor }[] }>();
    session.uses.forEach((u, k) => {
      const t = useClippedSum(u, norms[k]!, c, session);
      const entry = parts.get(u.param.name) ?? { param: u.param, blocks: [] };
      entry.blocks.push({ col: u.kind === 'linear' ? (u.paramColumns?.[0] ?? 0) : 0, t });
      parts.set(u.param.name, entry);
    });
    const sums = new Map<string, tf.Tensor>();
    for (const [name, { param, blocks }] of parts) {
      blocks.sort((a, b) => a.col - b.col);
      sums.set(name, tf.tidy(() => tf.reshape(blocks.length === 1 ? blocks[0]!.t : tf.concat(blocks.map((b) => b.t), 1), param.shape)));
      tf.dispose(blocks.map((b) => b.t));
    }
    const out = skip ? new Float32Array(0) : Float32Array.from(total.dataSync() as Float32Array, (v) => Math.sqrt(v));
    tf.dispose([total, c]);
    return { sums, norms: out };
  } finally {
    for (const n of norms) tf.dispose([n.squaredNorms, ...(n.perExample ? [n.perExample] : [])]);
  }
}
