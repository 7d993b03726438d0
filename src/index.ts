/**
 * dp-canary as a library. Subpath entry points load only what they need:
 * - `dp-canary/accountant`: privacy accounting (events, the RDP and PLD accountants, the
 *   ledger, calibration); pure TypeScript, loads no tfjs.
 * - `dp-canary/dpsgd`: DP-SGD for your own tf.LayersModel and for dp-canary's language models.
 * - `dp-canary/canary`: canaries, exposure (exact, interpolation, extrapolation), extraction.
 * This root entry re-exports the main workflow from the three (train privately, account,
 * calibrate, plant canaries and measure exposure and extraction), the error types and the
 * random sources. Everything else public (RDP curves and conversions, data-parallel pools,
 * format arithmetic, manifests, natural secrets) is on its subpath only.
 */
export { DpCanaryError, InvalidArgumentError, NonFiniteLossError, WorkerFailedError } from './dpsgd/public.js';
export { seededRandom, secureRandom, type RandomSource } from './canary/index.js';

export {
  type DpEvent,
  type SampledGaussianEvent,
  type PrivacyAccountant,
  type AccountantName,
  type EpsilonResult,
  type DeltaResult,
  type PldOptions,
  type LedgerJson,
  gaussianEvent,
  poissonSampledEvent,
  selfComposedEvent,
  composedEvent,
  sampledGaussianEvent,
  dpSgdEvent,
  checkEvent,
  createAccountant,
  RdpAccountant,
  PldAccountant,
  PrivacyLedger,
  ledgerEpsilon,
  calibrateNoise,
  maxStepsForBudget,
} from './accountant/index.js';

export {
  type FitPrivatelyOptions,
  type FitPrivatelyResult,
  type FitCallbacks,
  type FitLogs,
  type PerExampleLoss,
  type LossName,
  type TrainOptions,
  type TrainResult,
  type LanguageModelConfig,
  type OptimizerConfig,
  fitPrivately,
  evaluateModel,
  validateModel,
  perExampleLoss,
  supportedLayers,
  layersModelScorer,
  causalSelfAttention,
  positionEmbedding,
  initBackend,
  train,
  defaultDelta,
  LanguageModel,
  languageModelScorer,
  makeWindows,
  evaluate,
  saveModel,
  loadModel,
} from './dpsgd/public.js';

export {
  type Scorer,
  type CanaryFormat,
  type SecretFormat,
  type Canary,
  type SecretModel,
  type ExactExposure,
  type ExposureEstimates,
  type ExtractionResult,
  parseFormat,
  fillFormat,
  symbolsFromSecret,
  secretIndex,
  generateCanaries,
  insertCanaries,
  openSecretModel,
  closeSecretModel,
  enumerateLogPerplexities,
  exactExposures,
  scoreSecrets,
  sampleSecrets,
  estimateExposures,
  extractSecrets,
  extractionOutcome,
} from './canary/index.js';
