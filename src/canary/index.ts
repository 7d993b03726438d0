/**
 * Canaries, exposure and extraction (Carlini et al., The Secret Sharer, 2019). Depends only on
 * the Scorer interface (next-token log-probabilities in nats for a batch of states);
 * log-perplexities and exposures are in bits.
 * Internals (secret spaces of several alphabets, the skew-normal fit, ranks, token layouts, the
 * natural-secret contexts, the audit files) are imported from their modules by dp-canary
 * itself and its tests, not from here.
 */
// Errors these functions throw on bad arguments, importable without loading tfjs.
export { DpCanaryError, InvalidArgumentError } from '../util/errors.js';
// Random sources for sampleSecrets and generateCanaries (secure, or seeded for reproducible runs).
export { seededRandom, secureRandom, type RandomSource } from '../util/random.js';
export type { Scorer, StateBatch, StepResult } from './scorer.js';
export type { SecretSpace } from './space.js';
export {
  type CanaryFormat,
  type FormatSlot,
  type SecretFormat,
  parseFormat,
  parseSecretFormat,
  spaceSize,
  log2SpaceSize,
  fillFormat,
  secretFromSymbols,
  symbolsFromSecret,
  secretIndex,
  symbolsFromIndex,
} from './format.js';
export { type Canary, generateCanaries } from './generate.js';
export { type Insertion, insertCanaries } from './insert.js';
export { type CanaryManifest, type ManifestCanary, manifestToJson, manifestFromJson } from './manifest.js';
export {
  type SecretModel,
  type SpaceModel,
  openSecretModel,
  closeSecretModel,
  scoreSecrets,
  sampleSecrets,
} from './secret-model.js';
export { type EnumerateOptions, type ExactExposure, enumerateLogPerplexities, exactExposures } from './exact.js';
export { type ExposureEstimates, interpolationExposure, estimateExposures } from './estimate.js';
export {
  type ExtractionCandidate,
  type ExtractionOptions,
  type ExtractionResult,
  type ExtractionOutcome,
  extractSecrets,
  extractionOutcome,
} from './extract.js';
export {
  type NaturalExposureOptions,
  type NaturalContextExposure,
  type NaturalExtraction,
  type NaturalSecretExposure,
  type NaturalSecretUntestable,
  type NaturalSecretResult,
  measureNaturalSecret,
} from './natural.js';
