/**
 * `dp-canary/dpsgd`: the public DP-SGD API.
 * - Your own tf.LayersModel: `fitPrivately` (model.fit-shaped DP-SGD), `validateModel`
 *   (checks that every trainable layer can be clipped per example), `perExampleLoss`,
 *   `layersModelScorer` (the canary Scorer for a next-token model), `supportedLayers`.
 * - Layers for a GPT-like tf.LayersModel that tfjs-layers does not export, with their clipping
 *   rules: `causalSelfAttention`, `positionEmbedding` (docs/transformer-layers.md).
 * - Privacy units larger than one example (a user, a document): `train({ units })` and
 *   `fitPrivately(..., { unitIds })` sample units and clip each unit's whole contribution.
 * - dp-canary's own recurrent language models: `train`, `LanguageModel`, `languageModelScorer`;
 *   data-parallel training on worker threads: `train({ threads })`, or a `ParallelSession` /
 *   `DataParallelPool` kept open across runs (`GradientEngine` is the seam).
 * - `initBackend` picks the fastest tfjs backend (tensorflow > wasm > cpu) and registers
 *   dp-canary's wasm kernel fixes.
 * Epsilon is in nats (e^epsilon) throughout; delta is a probability.
 */
import { LAYER_RULES } from './user-model/rules/index.js';

export { DpCanaryError, InvalidArgumentError, NonFiniteLossError, WorkerFailedError } from '../util/errors.js';

export {
  fitPrivately,
  evaluateModel,
  perExampleLoss,
  validateModel,
  layersModelScorer,
  type FitPrivatelyOptions,
  type FitPrivatelyResult,
  type FitCallbacks,
  type FitLogs,
  type PerExampleLoss,
  type LossName,
  type LayersModelScorerOptions,
} from './user-model/index.js';
export {
  causalSelfAttention,
  positionEmbedding,
  CausalSelfAttention,
  PositionEmbedding,
  type CausalSelfAttentionArgs,
  type PositionEmbeddingArgs,
} from './user-model/transformer-layers/index.js';
export { initBackend, currentBackend, type BackendInfo, type BackendName } from './backend.js';
export {
  train,
  defaultDelta,
  type TrainOptions,
  type TrainPrivacy,
  type DpSgdPrivacy,
  type NoiseOption,
  type SamplingOption,
  type LengthOption,
  type TrainResult,
  type StepReport,
  type TrainingUnits,
} from './trainer.js';
export { LanguageModel, type LanguageModelConfig } from './model.js';
export { localEngine, type GradientEngine } from './gradient-engine.js';
export { DataParallelPool, type PoolOptions } from './parallel/pool.js';
export { ParallelSession, autoThreads, type ExactEnumerator } from './parallel/session.js';
export { saveModel, loadModel } from './model-io.js';
export { makeWindows } from './data.js';
export { evaluate, type Evaluation } from './evaluate.js';
export { languageModelScorer } from './scorer.js';
export type { OptimizerConfig } from './optimizers.js';
export { OPTIMIZER_NAMES, type OptimizerName } from './optimizer-names.js';

/**
 * tfjs class names of the trainable layers that fitPrivately clips per example without the exact fallback.
 *
 * ```ts
 * import { supportedLayers } from 'dp-canary/dpsgd';
 * supportedLayers().includes('Dense'); // true
 * ```
 */
export function supportedLayers(): string[] {
  return [...LAYER_RULES.keys()];
}
