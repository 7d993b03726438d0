import * as tf from '@tensorflow/tfjs-core';
// The Node build of tfjs-core registers no gradients; tfjs-layers' Node build registers them all.
import '@tensorflow/tfjs-layers';
import { sequenceCrossEntropy } from './layers/loss.js';
import type { DropoutMasks, TapRecorder } from './layers/types.js';
import type { ParamUse, TapGradients } from './per-example/types.js';
import type { LanguageModel } from './model.js';
import { InternalError } from '../util/errors.js';

/** The bias [P] repeated to [T, B, P], filled in JS (tf.broadcastTo's Tile kernel is ~30x slower on wasm). */
function biasTap(bias: tf.Tensor, shape: [number, number, number]): tf.Tensor3D {
  const b = bias.dataSync() as Float32Array;
  const rows = shape[0] * shape[1];
  const out = new Float32Array(rows * b.length);
  for (let r = 0; r < rows; r++) out.set(b, r * b.length);
  return tf.tensor3d(out, shape, 'float32');
}

/** One forward + backward pass with respect to the taps only (no weight gradients formed), time-major. */
export interface TapPass extends TapGradients {
  readonly layout: 'time-major';
  /** How each parameter was used (activations are kept tensors owned by this pass). */
  readonly uses: ParamUse[];
  /** dL/dtap for each tap name, [T, B, P], where L = sum of per-example losses. */
  readonly grads: Map<string, tf.Tensor3D>;
  /** Per-example summed cross-entropy in nats, [B]. */
  readonly perExampleLoss: tf.Tensor1D;
  dispose(): void;
}

/**
 * Run the model on inputs/targets [T, B] (int32) with taps on every pre-activation and
 * differentiate the summed loss with respect to the taps: g[t, i] = dL_i/dz[t, i].
 * Because the gradient is taken w.r.t. the taps, tfjs prunes the weight-gradient branches.
 * With `rowWeights` [B] the loss differentiated is sum_i w_i L_i (so g[t, i] = w_i dL_i/dz[t, i];
 * a row of weight 0 gets output gradients of exactly 0); perExampleLoss stays unweighted.
 */
export function forwardWithTaps(model: LanguageModel, inputs: tf.Tensor2D, targets: tf.Tensor2D, dropout?: DropoutMasks, rowWeights?: Float32Array): TapPass {
  const [T, B] = inputs.shape;
  const specs = model.tapSpecs(T, B);
  const taps = specs.map((s) => (s.bias ? biasTap(model.param(s.bias), s.shape) : (tf.zeros(s.shape) as tf.Tensor3D)));
  const rec: TapRecorder = { taps: new Map(specs.map((s, k) => [s.name, taps[k]!])), uses: [] };
  if (rowWeights && rowWeights.length !== B) throw new InternalError(`row weights: ${rowWeights.length} for ${B} rows`);
  const weights = rowWeights ? tf.tensor1d(rowWeights, 'float32') : null;
  let perExampleLoss: tf.Tensor1D | null = null;
  const { value, grads } = tf.valueAndGrads((..._taps: tf.Tensor[]) => {
    const logits = model.forward(inputs, { rec, dropout });
    const per = sequenceCrossEntropy(logits, targets);
    perExampleLoss = tf.keep(per);
    return tf.sum(weights ? tf.mul(per, weights) : per);
  })(taps);
  weights?.dispose();
  value.dispose();
  for (const t of taps) t.dispose();
  const gradMap = new Map<string, tf.Tensor3D>(specs.map((s, k) => [s.name, grads[k] as tf.Tensor3D]));
  const uses = rec.uses;
  return {
    layout: 'time-major',
    uses,
    grads: gradMap,
    perExampleLoss: perExampleLoss!,
    dispose() {
      for (const g of gradMap.values()) g.dispose();
      for (const u of uses) {
        if (u.kind === 'linear' || u.kind === 'scale') u.input.dispose();
        if (u.kind === 'embedding' && u.ownsIds) u.ids.dispose();
      }
      perExampleLoss?.dispose();
    },
  };
}

/**
 * The taps of a pass of privacy units regrouped so that each unit is one example: a pass whose B
 * = U k rows are laid out slot-major (row s U + u is slot s of unit u, see parallel/shard.ts
 * UnitRows) has taps [T, U k, P], which reshape for free to [k T, U, P]: unit u's column holds
 * all k T positions of its windows. The weight gradient of a unit is the sum over those
 * positions of a^T g, so every per-example rule of per-example/ (Gram or materialised weights,
 * biases, embeddings) gives the unit's norm and clipped sum unchanged. The result owns the
 * reshaped tensors (dispose it, then the original pass); perExampleLoss is the original's.
 */
export function groupTapsByUnit(pass: TapPass, units: number): TapPass {
  const grads = new Map<string, tf.Tensor3D>();
  // [T, U k, ...] -> [k T, U, ...]: a free reshape of the slot-major rows.
  const shapeOf = (shape: readonly number[]): number[] => {
    const [T, B, ...rest] = shape as [number, number, ...number[]];
    if (B % units !== 0) throw new InternalError(`a pass of ${B} rows is not ${units} units of equal size`);
    return [T * (B / units), units, ...rest];
  };
  const regroup = (x: tf.Tensor3D): tf.Tensor3D => tf.reshape<tf.Rank>(x, shapeOf(x.shape)) as tf.Tensor3D;
  const regroupIds = (x: tf.Tensor2D): tf.Tensor2D => tf.reshape<tf.Rank>(x, shapeOf(x.shape)) as tf.Tensor2D;
  for (const [name, g] of pass.grads) grads.set(name, regroup(g));
  const uses: ParamUse[] = pass.uses.map((u) =>
    u.kind === 'linear' || u.kind === 'scale' ? { ...u, input: regroup(u.input) } : u.kind === 'embedding' ? { ...u, ids: regroupIds(u.ids) } : u,
  );
  return {
    layout: 'time-major',
    uses,
    grads,
    perExampleLoss: pass.perExampleLoss,
    dispose() {
      for (const g of grads.values()) g.dispose();
      for (const u of uses) {
        if (u.kind === 'linear' || u.kind === 'scale') u.input.dispose();
        if (u.kind === 'embedding') u.ids.dispose();
      }
    },
  };
}
