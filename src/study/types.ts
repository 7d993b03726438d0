import type { AuditOutcome } from '../audit/guess.js';
/**
 * The study's data model: a grid of independent points (one trained model each) and the
 * JSON result each point produces. Everything here is plain JSON-serialisable data, except
 * that epsilon may be Infinity (written to JSON as the string "Infinity", see json.ts).
 */

/** How a point tries to prevent memorization. */
export type Mitigation = 'none' | 'dp' | 'dropout' | 'weight-decay' | 'sanitize';

/**
 * How a point's model starts: 'scratch' (random initialisation, trained on the private part
 * only) or 'fine-tune' (starts from the study's public model and trains on the private part).
 */
export type StudyMode = 'scratch' | 'fine-tune';

/** Every study mode, in report order. */
export const STUDY_MODES: readonly StudyMode[] = ['fine-tune', 'scratch'];

/**
 * A point's role: one of the study modes, or 'public', the study's one public model (trained
 * without DP on the public part of the corpus, which holds no canaries; fine-tune points start from it).
 */
export type PointMode = StudyMode | 'public';

/** How a model is trained: one recipe per kind of point (private and non-private need different ones). */
export interface TrainingRecipe {
  /** Expected (logical) batch size; the Poisson sampling rate is batchSize / training windows. */
  batchSize: number;
  learningRate: number;
  /** Passes over the training data (may be fractional for the public model). */
  epochs: number;
  /** Per-example L2 clipping norm C (used by DP-SGD points only). */
  clip: number;
}

/** Named study sizes on 2 cores: 'quick' (the default study, small: ~1.3 min), 'default' (~13.5 min), 'paper' (days; spread it with job files). */
export type PresetName = 'default' | 'quick' | 'paper';

/** Settings every point of one study shares (same data, same canaries, same model shape). */
export interface SharedSettings {
  /** 'brown' for the embedded Brown Corpus, or a path to a user's .txt file / folder. */
  corpus: string;
  /** Characters of corpus text to use (newlines not counted). */
  corpusMaxChars: number;
  /** Fraction of lines held out for validation, in (0, 1). */
  validationFraction: number;
  /** Seed of the train/validation split and of the canary secrets (shared by all points). */
  dataSeed: number;
  tokenizer: 'char' | 'word';
  /** Lowercase the text before tokenizing. */
  lowercase: boolean;
  /** Largest vocabulary size (special ids included). */
  maxVocab: number;
  /** Recurrent cell of the language model. */
  cell: 'lstm' | 'gru';
  embeddingDim: number;
  hiddenSize: number;
  layers: number;
  /** Passes over the training data (the non-private from-scratch recipe, like batchSize, learningRate, clip). */
  epochs: number;
  optimizer: 'adam' | 'sgd';
  learningRate: number;
  /** Tokens per training sequence (the unit DP-SGD protects). */
  seqLength: number;
  /** Expected batch size; the Poisson sampling rate is batchSize / number of sequences. */
  batchSize: number;
  /** Per-example L2 clipping norm C (DP points only). */
  clip: number;
  /** Largest number of examples in one forward/backward pass; larger logical batches are processed in chunks. */
  physicalBatchSize: number;
  /** DP-SGD from scratch: its own batch size, learning rate, epochs and clip (tuned on public data). */
  dpRecipe: TrainingRecipe;
  /**
   * Text of the public model: 'brown' (the Brown Corpus documents that the private part does not
   * use) or a path to a .txt file or folder. It must not hold the canaries.
   */
  publicCorpus: string;
  /** Characters of public text to use. */
  publicCorpusChars: number;
  /** How the public model is trained (non-private; clip unused). */
  publicRecipe: TrainingRecipe;
  /** Non-private fine-tuning of the public model on the private part (clip unused). */
  fineTuneRecipe: TrainingRecipe;
  /** DP-SGD fine-tuning of the public model on the private part. */
  fineTuneDpRecipe: TrainingRecipe;
  /** Target delta of (epsilon, delta)-DP; also reported for non-private points. */
  delta: number;
  /** Canary format in the canary module's syntax, e.g. "the random number is {digits:9}". */
  canaryFormat: string;
  /** How many times each canary is inserted into the training text; one canary per count. */
  insertions: number[];
  /** Random members of R scored to estimate exposure when |R| is too large to enumerate. */
  exposureReferences: number;
  /** Model queries the extraction search may spend per canary before it gives up. */
  extractionMaxQueries: number;
  /** Measure exposure after every epoch (true) or only at the end. */
  exposureEachEpoch: boolean;
  /** The accountant that calibrates and budgets DP points: 'rdp' (default) or 'pld' (tighter). */
  accountant?: 'rdp' | 'pld';
  /**
   * Audit canaries m of the one-run privacy audit (src/audit/): each is put into the training
   * data with probability 1/2 as `auditRepeats` windows of its own. Absent or 0: no audit.
   */
  auditCanaries?: number;
  /** Training windows per included audit canary (>= 1, default 1); the bound is per window. */
  auditRepeats?: number;
  /** Format of the audit canaries (default src/audit/plant.ts DEFAULT_AUDIT_FORMAT); must differ from canaryFormat. */
  auditFormat?: string;
}

/** One configuration of the grid: a single model to train and measure. */
export interface StudyPoint extends SharedSettings {
  /** Stable, filesystem-safe id, unique in the grid, e.g. "dp-eps3-seed1" ([a-z0-9.-]). */
  id: string;
  /** scratch, fine-tune, or public (the study's public model). batchSize, learningRate, epochs and clip are this point's own recipe. */
  mode: PointMode;
  /** Fine-tune points: id of the public point whose model they start from. */
  initFromPoint?: string;
  mitigation: Mitigation;
  /** Target epsilon (natural-log units) for DP-SGD; present exactly when mitigation is 'dp'. */
  targetEpsilon?: number;
  /** Dropout rate in [0, 1); 0 except for 'dropout' points. */
  dropout: number;
  /** L2 weight decay coefficient >= 0; 0 except for 'weight-decay' points. */
  weightDecay: number;
  /** Seed of model initialisation, batch sampling and DP noise for this point. */
  seed: number;
}

/** How a canary's exposure was computed. */
export type ExposureMethod = 'exact' | 'interpolation' | 'extrapolation';

/** Memorization measured for one canary of one point. */
export interface CanaryResult {
  /** Canary name from the manifest (e.g. "r16"). */
  name: string;
  /** Times this canary was inserted into the training text (before sanitisation). */
  insertions: number;
  /** Log-perplexity of the canary's secret in bits (-sum log2 Pr of the secret's tokens). */
  logPerplexityBits: number;
  /** Exposure in bits, in [0, log2 |R|] (about 1.44 bits for a canary never seen). */
  exposure: number;
  exposureMethod: ExposureMethod;
  /** True when the extraction search recovered the secret. */
  extracted: boolean;
  /** Rank (1 = first) at which the search produced the secret, when extracted. */
  extractionRank?: number;
  /** Model queries (scorer.advance rows) the extraction search used. */
  extractionQueries: number;
}

/** Exposure of every canary after one epoch (the paper's "memorization over training"). */
export interface EpochExposure {
  /** 1-based epoch number. */
  epoch: number;
  /** Exposure in bits by canary name. */
  exposure: Record<string, number>;
  /** How the exposures were computed (absent in results written before it was recorded). */
  exposureMethod?: ExposureMethod;
  /** Mean training loss over the epoch, nats per token (noise-free, for monitoring). */
  trainLoss?: number;
  /** Validation loss after the epoch, nats per token. */
  validationLoss?: number;
}

/** What a point function measures; the runner adds the id, the point and the status. */
export interface PointMeasurement {
  /** The point's mode and training recipe, repeated from the point for readers of report.json. */
  mode?: PointMode;
  recipe?: TrainingRecipe;
  /** Epsilon (natural-log units) of the whole run at `delta`; Infinity for non-private points. */
  epsilon: number;
  /** Epsilon from the PLD accountant (tighter; RDP's where the PLD cannot certify); Infinity for non-private points. Absent in older results. */
  epsilonPld?: number;
  delta: number;
  /** Noise multiplier sigma (noise std / clip); 0 for non-private points. */
  noiseMultiplier: number;
  /** Optimizer steps taken. */
  steps: number;
  /** Mean validation loss in nats per token. */
  validationLoss: number;
  /** Validation perplexity per token, exp(validationLoss). */
  validationPerplexity: number;
  /** Wall-clock training time in seconds (not compared when merging results). */
  trainSeconds: number;
  /** tfjs backend used: 'tensorflow', 'wasm' or 'cpu'. */
  backend: string;
  /** The most threads the point trained or scored on at once (1: its own; more: data-parallel, when cores were free). */
  threads?: number;
  /** Random source of the DP noise and sampling: 'seeded' (reproducible) or 'secure'. */
  randomSource: 'seeded' | 'secure';
  /** log2 |R|: the most exposure any canary can have, in bits. */
  log2R: number;
  canaries: CanaryResult[];
  /** Exposure after each epoch (empty when not measured). */
  exposureByEpoch: EpochExposure[];
  /** Training lines removed by sanitisation ('sanitize' points; 0 otherwise). */
  sanitizedLines?: number;
  /** Fine-tune points: the public model's run folder name and how its privacy entered (always public data here). */
  startingPoint?: string;
  /** The one-run privacy audit, for points with auditCanaries > 0 (all numbers finite). */
  audit?: PointAudit;
}

/**
 * A point's one-run privacy audit (src/audit/): the headline fields of its outcome. Compare
 * epsilonLowerBound with the point's claimed `epsilon` (same delta): a bound above the claim refutes it.
 */
export type PointAudit = Pick<AuditOutcome, (typeof POINT_AUDIT_FIELDS)[number]>;

/** The fields of an audit outcome a point result keeps. */
export const POINT_AUDIT_FIELDS = ['epsilonLowerBound', 'confidence', 'delta', 'auditCanaries', 'unitsPerCanary', 'guesses', 'correctGuesses'] as const;

/** Result of a point that finished. */
export interface OkPointResult extends PointMeasurement {
  schema: typeof POINT_RESULT_SCHEMA;
  id: string;
  point: StudyPoint;
  status: 'ok';
}

/** Result of a point whose training or measurement threw; the study goes on without it. */
export interface FailedPointResult {
  schema: typeof POINT_RESULT_SCHEMA;
  id: string;
  point: StudyPoint;
  status: 'failed';
  /** One-line reason. */
  error: string;
  /** Seconds spent before the failure (not compared when merging results). */
  elapsedSeconds: number;
}

export type PointResult = OkPointResult | FailedPointResult;

/** All results of a study, in grid order. */
export interface StudyReport {
  schema: typeof STUDY_REPORT_SCHEMA;
  /** Preset the grid came from, when known. */
  preset?: PresetName;
  points: PointResult[];
}

export const POINT_RESULT_SCHEMA = 'dp-canary/point-result@1';
export const STUDY_REPORT_SCHEMA = 'dp-canary/study-report@1';
export const STUDY_JOB_SCHEMA = 'dp-canary/study-job@1';
export const STUDY_GRID_SCHEMA = 'dp-canary/study-grid@1';
