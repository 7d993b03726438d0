import * as tf from '@tensorflow/tfjs-core';
// The Node build of tfjs-core registers no gradients; tfjs-layers' Node build registers them all.
import '@tensorflow/tfjs-layers';
import { sequenceCrossEntropy } from './layers/loss.js';
import type { DropoutMasks, ParamUse, TapRecorder } from './layers/types.js';
import type { LanguageModel } from './model.js';

/** The bias [P] repeated to [T, B, P], filled in JS (tf.broadcastTo's Tile kernel is ~30x slower on wasm). */
function biasTap(bias: tf.Tensor, shape: [number, number, number]): tf.Tensor3D {
  const b = bias.dataSync() as Float32Array;
  const rows = shape[0] * shape[1];
  const out = new Float32Array(rows * b.length);
  for (let r = 0; r < rows; r++) out.set(b, r * b.length);
  return tf.tensor3d(out, shape, 'float32');
}

/** One forward + backward pass with respect to the taps only (no weight gradients formed). */
export interface TapPass {
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
 */
export function forwardWithTaps(model: LanguageModel, inputs: tf.Tensor2D, targets: tf.Tensor2D, dropout?: DropoutMasks): TapPass {
  const [T, B] = inputs.shape;
  const specs = model.tapSpecs(T, B);
  const taps = specs.map((s) => (s.bias ? biasTap(model.param(s.bias), s.shape) : (tf.zeros(s.shape) as tf.Tensor3D)));
  const rec: TapRecorder = { taps: new Map(specs.map((s, k) => [s.name, taps[k]!])), uses: [] };
  let perExampleLoss: tf.Tensor1D | null = null;
  const { value, grads } = tf.valueAndGrads((..._taps: tf.Tensor[]) => {
    const logits = model.forward(inputs, { rec, dropout });
    const per = sequenceCrossEntropy(logits, targets);
    perExampleLoss = tf.keep(per);
    return tf.sum(per);
  })(taps);
  value.dispose();
  for (const t of taps) t.dispose();
  const gradMap = new Map<string, tf.Tensor3D>(specs.map((s, k) => [s.name, grads[k] as tf.Tensor3D]));
  const uses = rec.uses;
  return {
    uses,
    grads: gradMap,
    perExampleLoss: perExampleLoss!,
    dispose() {
      for (const g of gradMap.values()) g.dispose();
      for (const u of uses) {
        if (u.kind === 'weight') u.input.dispose();
      }
      perExampleLoss?.dispose();
    },
  };
}
