/**
 * The DP-SGD engine: recurrent language models on tfjs ops, per-example clipping by ghost norms
 * (no per-example gradients materialised unless cheaper), Gaussian noise from a RandomSource,
 * Poisson sampling, optimizers, the privacy ledger and atomic checkpoints.
 * Privacy unit: one training example = one window of seqLen+1 tokens (makeWindows).
 * Backend selection lives in ./backend.ts (initBackend).
 */
export { LanguageModel, parameterShapes, validateConfig, type LanguageModelConfig } from './model.js';
export { saveModel, loadModel, modelToJson, modelFromJson, type ModelJson } from './model-io.js';
export { makeWindows, makeBatch, type Batch } from './data.js';
export { sequenceCrossEntropy } from './layers/loss.js';
export { forwardWithTaps, type TapPass } from './taps.js';
export {
  clipPass,
  clipFactors,
  perExampleSquaredNorms,
  weightedGradientSums,
  materializedPerExampleGradients,
  clipMaterialized,
  CLIP_EPSILON,
  type NormMethod,
} from './clipping.js';
export { privatizeGradient, noiseStream, gaussianTensor } from './noise.js';
export { poissonSample } from './sampler.js';
export { Optimizer, OPTIMIZER_NAMES, type OptimizerConfig, type OptimizerName, type OptimizerJson } from './optimizers.js';
export { privateGradient, nonPrivateGradient, dropoutMasks, type StepGradient, type PrivateGradientOptions } from './gradient.js';
export {
  train,
  defaultDelta,
  resolveSettings,
  type TrainOptions,
  type TrainPrivacy,
  type DpSgdPrivacy,
  type NoiseOption,
  type SamplingOption,
  type LengthOption,
  type TrainResult,
  type StepReport,
} from './trainer.js';
export { resolveDelta, resolveNoise, calibrateAfterPrior, type NoiseRequest, type ResolvedNoise, type BudgetAccountant } from './run-settings.js';
export { runStepLoop, resumeLedger, stepBudget, pldStepBudget, type StepBudget, type StepLoopOptions, type StepLoopResult, type StepDone } from './step-loop.js';
export { evaluate, type Evaluation } from './evaluate.js';
export { saveCheckpoint, loadCheckpoint, type CheckpointJson, type RunSettings } from './checkpoint.js';
export { languageModelScorer } from './scorer.js';
export { layersModelPrivateGradient, trainLayersModelPrivately, layersModelParams, type ExampleLoss } from './generic.js';
