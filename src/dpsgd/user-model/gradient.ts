import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { CLIP_EPSILON, clipPass, weightedGradientSums } from '../per-example/clip.js';
import type { NormMethod } from '../per-example/types.js';
import { runGraph } from './graph.js';
import type { PerExampleLoss } from './losses.js';
import { TapSession } from './tap-session.js';

/** What one physical chunk contributes to a logical batch. */
export interface ChunkGradient {
  /** sum_i c_i grad_i by weight (variable) name; for a non-private chunk the plain sum (c = 1). */
  readonly sums: Map<string, tf.Tensor>;
  /** Per-example L2 norms of the gradient before clipping (empty for non-private chunks). */
  readonly norms: Float32Array;
  /** Sum of the per-example losses (monitoring only; not private). */
  readonly lossSum: number;
}

/** The model's trainable variables by name. */
export function trainableVariables(model: LayersModel): Map<string, tf.Variable> {
  return new Map(model.trainableWeights.map((w) => {
    const v = w.read() as tf.Variable;
    return [v.name, v];
  }));
}

/**
 * Per-example norms (over all trainable weights) and the clipped sums by variable name, shaped
 * as the variables, from a finished tap session, by the shared engine (per-example/clip.ts).
 * Without clipping (C = Infinity) and no norms wanted, every c_i = 1: the norms are skipped.
 */
function clipSession(model: LayersModel, session: TapSession, clipNorm: number, method: NormMethod, withNorms: boolean): { sums: Map<string, tf.Tensor>; norms: Float32Array } {
  if (session.uses.length === 0) return { sums: new Map(), norms: new Float32Array(0) };
  const vars = trainableVariables(model);
  const shaped = (sums: Map<string, tf.Tensor>): Map<string, tf.Tensor> => {
    const out = new Map<string, tf.Tensor>();
    for (const [name, t] of sums) {
      const v = vars.get(name);
      out.set(name, v ? tf.reshape(t, v.shape) : tf.clone(t));
      t.dispose();
    }
    return out;
  };
  if (clipNorm === Infinity && !withNorms) return { sums: shaped(weightedGradientSums(session, null)), norms: new Float32Array(0) };
  const { squaredNorms, sums } = clipPass(session, clipNorm, method);
  const norms = Float32Array.from(squaredNorms.dataSync() as Float32Array, (v) => Math.sqrt(v));
  squaredNorms.dispose();
  return { sums: shaped(sums), norms };
}

/**
 * The fast path: one forward pass through the layer rules with captured pre-activations, one
 * backward pass to the captures (no weight gradients), per-example norms by ghost norms or
 * per-example gradients (whichever is cheaper per weight), and the clipped sum.
 */
export function fastClippedChunk(
  model: LayersModel,
  xs: readonly tf.Tensor[],
  y: tf.Tensor,
  loss: PerExampleLoss,
  clipNorm: number,
  method: NormMethod = 'auto',
  withNorms = true,
): ChunkGradient {
  const s = tf.scalar(0);
  const session = new TapSession(s, true);
  try {
    const { value, grads } = tf.valueAndGrads(() => tf.sum(loss(y, runGraph(model, xs, session))) as tf.Scalar)([s]);
    const lossSum = value.dataSync()[0]!;
    tf.dispose([value, ...grads]);
    const { sums, norms } = clipSession(model, session, clipNorm, method, withNorms);
    return { sums, norms, lossSum };
  } finally {
    session.dispose();
    s.dispose();
  }
}

/**
 * The slow exact path for layers without a rule: one backward pass per example through the
 * model itself (tfjs autodiff), each gradient clipped to clipNorm over all trainable weights.
 */
export function exactClippedChunk(model: LayersModel, xs: readonly tf.Tensor[], y: tf.Tensor, loss: PerExampleLoss, clipNorm: number): ChunkGradient {
  const params = trainableVariables(model);
  const vars = [...params.values()];
  const sums = new Map<string, tf.Tensor>([...params].map(([n, v]) => [n, tf.zerosLike(v)]));
  const B = y.shape[0];
  const norms = new Float32Array(B);
  let lossSum = 0;
  for (let i = 0; i < B; i++) {
    const { value, grads } = tf.variableGrads(() => {
      const xi = xs.map((x) => tf.slice(x, i, 1));
      const out = model.apply(xi.length === 1 ? xi[0]! : xi, { training: true }) as tf.Tensor;
      return tf.sum(loss(tf.slice(y, i, 1), out)) as tf.Scalar;
    }, vars);
    lossSum += value.dataSync()[0]!;
    value.dispose();
    norms[i] = clipAndAccumulate(params, grads, clipNorm, sums);
  }
  return { sums, norms, lossSum };
}

/**
 * The plain (unclipped) gradient of the summed loss through the layer rules: the capture pass
 * of fastClippedChunk with every c_i = 1 and no norms. Needs no weight-gradient kernels, so it
 * also trains convolutions on tfjs's wasm backend, which has no Conv2DBackpropFilter kernel.
 */
export function tapsPlainChunk(model: LayersModel, xs: readonly tf.Tensor[], y: tf.Tensor, loss: PerExampleLoss): ChunkGradient {
  return fastClippedChunk(model, xs, y, loss, Infinity, 'auto', false);
}

/** The non-private baseline: the plain gradient of the summed loss (tfjs autodiff on the weights). */
export function plainChunk(model: LayersModel, xs: readonly tf.Tensor[], y: tf.Tensor, loss: PerExampleLoss): ChunkGradient {
  const vars = [...trainableVariables(model).values()];
  const { value, grads } = tf.variableGrads(() => {
    const out = model.apply(xs.length === 1 ? xs[0]! : [...xs], { training: true }) as tf.Tensor;
    return tf.sum(loss(y, out)) as tf.Scalar;
  }, vars);
  const lossSum = value.dataSync()[0]!;
  value.dispose();
  return { sums: new Map(Object.entries(grads)), norms: new Float32Array(0), lossSum };
}

/**
 * A chunk of privacy units for the user-model path: `count` units of `rowsPerUnit` rows each,
 * UNIT-major (rows u k .. u k + k - 1 are unit u's), so batch-major taps [U k, T, P] reshape for
 * free to [U, k T, P]. Row weights: 1 / (the unit's rows) for real rows (the unit's mean), 0 for
 * padding rows, whose output gradients are then exactly 0.
 */
export interface UnitChunk {
  readonly count: number;
  readonly rowsPerUnit: number;
  readonly weights: Float32Array;
}

/**
 * fastClippedChunk with each UNIT as one example: the loss differentiated is sum_i w_i L_i, the
 * session's taps and recorded inputs are regrouped [U k, T, P] -> [U, k T, P], and every rule's
 * per-example norm and clipped sum then holds for the unit (its gradient is the sum over all its
 * rows' positions). Norms are per unit; lossSum counts real rows only.
 */
export function fastUnitClippedChunk(model: LayersModel, xs: readonly tf.Tensor[], y: tf.Tensor, loss: PerExampleLoss, clipNorm: number, units: UnitChunk): ChunkGradient {
  const s = tf.scalar(0);
  const session = new TapSession(s, true);
  const w = tf.tensor1d(units.weights, 'float32');
  try {
    let lossSum = 0;
    const { value, grads } = tf.valueAndGrads(() => {
      const per = loss(y, runGraph(model, xs, session));
      lossSum = tf.tidy(() => tf.sum(tf.mul(per, tf.cast(tf.greater(w, 0), 'float32'))).dataSync()[0]!);
      return tf.sum(tf.mul(per, w)) as tf.Scalar;
    })([s]);
    tf.dispose([value, ...grads]);
    session.groupRows(units.count);
    const { sums, norms } = clipSession(model, session, clipNorm, 'auto', true);
    return { sums, norms, lossSum };
  } finally {
    session.dispose();
    s.dispose();
    w.dispose();
  }
}

/**
 * The exact path for units (layers without a rule): one backward pass per unit through the model
 * (tfjs autodiff of the unit's weighted loss), clipped to clipNorm as a whole.
 */
export function exactUnitClippedChunk(model: LayersModel, xs: readonly tf.Tensor[], y: tf.Tensor, loss: PerExampleLoss, clipNorm: number, units: UnitChunk): ChunkGradient {
  const params = trainableVariables(model);
  const vars = [...params.values()];
  const sums = new Map<string, tf.Tensor>([...params].map(([n, v]) => [n, tf.zerosLike(v)]));
  const k = units.rowsPerUnit;
  const norms = new Float32Array(units.count);
  let lossSum = 0;
  for (let u = 0; u < units.count; u++) {
    const w = tf.tensor1d(units.weights.subarray(u * k, (u + 1) * k), 'float32');
    const { value, grads } = tf.variableGrads(() => {
      const xi = xs.map((x) => tf.slice(x, u * k, k));
      const per = loss(tf.slice(y, u * k, k), model.apply(xi.length === 1 ? xi[0]! : xi, { training: true }) as tf.Tensor);
      lossSum += tf.sum(tf.mul(per, tf.cast(tf.greater(w, 0), 'float32'))).dataSync()[0]!;
      return tf.sum(tf.mul(per, w)) as tf.Scalar;
    }, vars);
    value.dispose();
    w.dispose();
    norms[u] = clipAndAccumulate(params, grads, clipNorm, sums);
  }
  return { sums, norms, lossSum };
}

/**
 * One example's (or unit's) gradient clipped to `clipNorm` and added into `sums`; returns its L2
 * norm before clipping. Disposes `grads` (a weight with no gradient counts as zero).
 */
function clipAndAccumulate(params: Map<string, tf.Variable>, grads: tf.NamedTensorMap, clipNorm: number, sums: Map<string, tf.Tensor>): number {
  const norm = tf.tidy(() => {
    const list = [...params].map(([n, v]) => [n, grads[v.name] ?? tf.zerosLike(v)] as const);
    const norm = Math.sqrt(list.reduce((acc, [, g]) => acc + tf.sum(tf.square(g)).dataSync()[0]!, 0));
    const c = clipNorm === Infinity ? 1 : Math.min(1, clipNorm / (norm + CLIP_EPSILON));
    for (const [n, g] of list) {
      const prev = sums.get(n)!;
      sums.set(n, tf.keep(tf.add(prev, tf.mul(g, c))));
      prev.dispose();
    }
    return norm;
  });
  tf.dispose(Object.values(grads));
  return norm;
}
