/**
 * Canaries, exposure and extraction (Carlini et al., The Secret Sharer, 2019). Depends only on
 * the Scorer interface (next-token log-probabilities in nats for a batch of states);
 * log-perplexities and exposures are in bits.
 */
// Errors these functions throw on bad arguments, importable without loading tfjs.
export { DpCanaryError, InvalidArgumentError } from '../util/errors.js';
export type { Scorer, StateBatch, StepResult } from './scorer.js';
export {
  type CanaryFormat,
  type FormatSlot,
  type SecretFormat,
  MAX_FORMAT_POSITIONS,
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
  type SecretSpace,
  positionSizes,
  productOfSizes,
  spaceCount,
  spaceText,
  spaceSymbols,
  spaceIndex,
  symbolsAtIndex,
  sampleSpace,
} from './space.js';
export { type CanaryTokens, type SecretTokens, canaryTokens, secretTokens } from './tokens.js';
export {
  type SecretModel,
  type SpaceModel,
  BITS_PER_NAT,
  DEFAULT_BATCH_ROWS,
  openSecretModel,
  openSpaceModel,
  closeSecretModel,
  scoreSecrets,
  sampleSecrets,
} from './secret-model.js';
export {
  type EnumerateOptions,
  type ExactExposure,
  DEFAULT_MAX_EXACT_SPACE,
  enumerateLogPerplexities,
  exactExposures,
} from './exact.js';
export { type RankResult, POSITIVE_LOGPROB_NATS, SCORE_SLACK_BITS, exactRank } from './rank.js';
export {
  type ExposureEstimates,
  MIN_REFERENCES,
  MIN_FIT_REFERENCES,
  interpolationExposure,
  extrapolationExposure,
  estimateExposures,
} from './estimate.js';
export {
  type SkewNormal,
  fitSkewNormal,
  skewNormalMoments,
  skewNormalLogPdf,
  skewNormalLogCdf,
  skewNormalCdf,
} from './skew-normal.js';
export { owensT } from './owens-t.js';
export {
  type ExtractionCandidate,
  type ExtractionOptions,
  type ExtractionResult,
  type ExtractionOutcome,
  extractSecrets,
  extractionOutcome,
} from './extract.js';
export { type ScoresFile, parseScoresJson } from './scores-file.js';
export { type AuditCanary, type AuditManifest, auditManifestFromValue } from './audit-manifest.js';
export {
  type NaturalExposureOptions,
  type NaturalContextExposure,
  type NaturalExtraction,
  type NaturalSecretExposure,
  type NaturalSecretUntestable,
  type NaturalSecretResult,
  NATURAL_MAX_EXACT_SPACE,
  DEFAULT_NATURAL_CONTEXTS,
  DEFAULT_NATURAL_REFERENCES,
  DEFAULT_EXTRACTION_TOP_K,
  measureNaturalSecret,
} from './natural.js';
export { type ScoringContext, type TestableSecret, type UntestableSecret, prepareSecret, scoringContexts, isUnknownToken } from './natural-context.js';
