import type * as tf from '@tensorflow/tfjs-core';
import { LayersModel, type SymbolicTensor } from '@tensorflow/tfjs-layers';
import { InvalidArgumentError } from '../../util/errors.js';
import { LAYER_RULES, REFUSED_LAYERS } from './rules/index.js';
import type { Layer, RuleContext } from './types.js';

/** Whether a layer has weights that training changes (and so needs a clipping rule). */
function isTrainable(layer: Layer): boolean {
  return layer.trainable && layer.trainableWeights.length > 0;
}

function isModel(layer: Layer): layer is LayersModel {
  return layer instanceof LayersModel;
}

/** Every layer of a model, nested models' layers included. */
function allLayers(model: LayersModel): Layer[] {
  return model.layers.flatMap((l) => (isModel(l) ? [l, ...allLayers(l)] : [l]));
}

/**
 * Checks before training that the fast path can clip this model per example. Throws a
 * InvalidArgumentError for BatchNormalization (always) and, unless `exactFallback`, for a trainable layer
 * with no rule, a configuration its rule does not reproduce, or a trainable layer used at more
 * than one place in the graph. Returns 'fast', or 'exact' when the fallback will be used.
 *
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import * as tfl from '@tensorflow/tfjs-layers';
 * import { initBackend } from 'dp-canary/dpsgd';
 * await initBackend();
 * const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [4], units: 3, activation: 'softmax' })] });
 * const x = tf.randomNormal([64, 4]);
 * const y = tf.tensor1d(Array.from({ length: 64 }, (_, i) => i % 3));
 * import { validateModel } from 'dp-canary/dpsgd';
 * validateModel(model, false); // 'fast': every trainable layer has a per-example rule
 * ```
 */
export function validateModel(model: LayersModel, exactFallback: boolean): 'fast' | 'exact' {
  if (model.outputs.length !== 1) throw new InvalidArgumentError(`the model has ${model.outputs.length} outputs; DP training supports models with one output.`);
  let mode: 'fast' | 'exact' = 'fast';
  for (const layer of allLayers(model)) {
    const cls = layer.getClassName();
    const refused = REFUSED_LAYERS.get(cls);
    if (refused) throw new InvalidArgumentError(`layer '${layer.name}': ${refused}.`);
    if (isModel(layer) || !isTrainable(layer)) continue;
    const rule = LAYER_RULES.get(cls);
    const why = !rule
      ? `${cls} has no per-example clipping rule (rules exist for ${[...LAYER_RULES.keys()].join(', ')})`
      : layer.inboundNodes.length > 1
        ? 'it is used at more than one place in the graph (shared weights)'
        : rule.check(layer);
    if (why === null) continue;
    if (!exactFallback) throw new InvalidArgumentError(`layer '${layer.name}' (${cls}): ${why}; pass exactFallback: true for the slow exact path (one gradient per example).`);
    mode = 'exact';
  }
  return mode;
}

/**
 * Runs the model's graph on concrete inputs, trainable layers through their rules (which
 * capture pre-activations), every other layer as itself. Handles Sequential, functional and
 * nested models (the model must have passed validateModel).
 */
export function runGraph(model: LayersModel, inputs: readonly tf.Tensor[], ctx: RuleContext): tf.Tensor {
  if (inputs.length !== model.inputs.length) throw new InvalidArgumentError(`the model takes ${model.inputs.length} input(s), got ${inputs.length}.`);
  const values = new Map<number, tf.Tensor>();
  model.inputs.forEach((s, k) => values.set(s.id, inputs[k]!));
  const evaluate = (s: SymbolicTensor): tf.Tensor => {
    const known = values.get(s.id);
    if (known) return known;
    const layer = s.sourceLayer as Layer;
    const args = (Array.isArray(s.inputs) ? s.inputs : [s.inputs]).map(evaluate);
    let out: tf.Tensor | tf.Tensor[];
    const rule = LAYER_RULES.get(layer.getClassName());
    if (isModel(layer)) out = runGraph(layer, args, ctx);
    else if (rule && isTrainable(layer)) out = rule.forward(layer, args, ctx);
    else out = layer.apply(args.length === 1 ? args[0]! : args, { training: ctx.training }) as tf.Tensor | tf.Tensor[];
    const value = Array.isArray(out) ? out[s.outputTensorIndex ?? 0]! : out;
    values.set(s.id, value);
    return value;
  };
  return evaluate(model.outputs[0]!);
}
