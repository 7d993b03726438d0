import type { AuditOutcome } from '../audit/guess.js';
import type { CanaryResult, ExposureMethod } from '../pipeline/measure.js';
import type { RunMode, RunSettings } from '../pipeline/run-config.js';
import type { NaturalSecretSummary } from '../pipeline/natural-run.js';
import type { GroupPrivacy } from '../pipeline/units.js';
import type { PrivacyUnit } from '../data/units.js';
/**
 * The study's data model: a grid of independent points (one trained model each) and the
 * JSON result each point produces. Everything here is plain JSON-serialisable data, except
 * that epsilon may be Infinity (written to JSON as the string "Infinity", see json.ts).
 */

/** How a point tries to prevent memorization: the pipeline's list (src/pipeline/run-config.ts). */
export { MITIGATIONS, isMitigation, type Mitigation } from '../pipeline/run-config.js';

/**
 * How a point's model starts: 'scratch' (random initialisation, trained on the private part
 * only) or 'fine-tune' (starts from the study's public model and trains on the private part).
 */
export type StudyMode = Exclude<RunMode, 'public'>;

/** Every study mode, in report order. */
export const STUDY_MODES: readonly StudyMode[] = ['fine-tune', 'scratch'];

/**
 * A point's role: one of the study modes, or 'public', the study's one public model (trained
 * without DP on the public part of the corpus, which holds no canaries; fine-tune points start from it).
 */
export type PointMode = RunMode;

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
export type PresetName = 'default' | 'quick' | 'paper' | 'email' | 'email-quick';

/**
 * The run settings that differ from point to point; every other one is shared (SharedSettings).
 * A DP point may carry its own privacy unit (absent: window), so one study can hold window-level
 * and user-level points side by side on the same data (the shared dataUnit).
 */
type PointOwnSetting = 'mode' | 'mitigation' | 'targetEpsilon' | 'dropout' | 'weightDecay' | 'seed' | 'privacyUnit';

/**
 * Settings every point of one study shares (same data, same canaries, same model shape): the
 * pipeline's run settings (src/pipeline/run-config.ts) less the per-point ones, plus the study's
 * training recipes. Its batchSize, learningRate, epochs and clip are the non-private
 * from-scratch recipe; each point carries its own recipe in those fields.
 */
export interface SharedSettings extends Omit<RunSettings, PointOwnSetting> {
  /** DP-SGD from scratch: its own batch size, learning rate, epochs and clip (tuned on public data). */
  dpRecipe: TrainingRecipe;
  /** How the public model is trained (non-private; clip unused). */
  publicRecipe: TrainingRecipe;
  /** Non-private fine-tuning of the public model on the private part (clip unused). */
  fineTuneRecipe: TrainingRecipe;
  /** DP-SGD fine-tuning of the public model on the private part. */
  fineTuneDpRecipe: TrainingRecipe;
  /**
   * DP-SGD fine-tuning with a privacy unit larger than a window (batchSize counts units); absent:
   * fineTuneDpRecipe. Units are few next to windows, so they need their own batch size.
   */
  fineTuneUnitDpRecipe?: TrainingRecipe;
}

/**
 * One configuration of the grid: a single model to train and measure. It is a run's settings
 * (RunSettings: mode, mitigation, targetEpsilon, dropout, weightDecay and seed are the point's
 * own; batchSize, learningRate, epochs and clip are its recipe) plus an id and the study's fields.
 */
export interface StudyPoint extends SharedSettings, Pick<RunSettings, PointOwnSetting> {
  /** Stable, filesystem-safe id, unique in the grid, e.g. "dp-eps3-seed1" ([a-z0-9.-]). */
  id: string;
  /** Fine-tune points: id of the public point whose model they start from. */
  initFromPoint?: string;
}

/** How a canary's exposure was computed, and what was measured for one canary: see src/pipeline/measure.ts. */
export type { CanaryResult, ExposureMethod } from '../pipeline/measure.js';

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
  /** Epsilon (natural-log units) of the whole run at `delta`, per `privacyUnit`; Infinity for non-private points. */
  epsilon: number;
  /** What epsilon is per (absent in older results: window). */
  privacyUnit?: PrivacyUnit;
  /** Training units (documents or users) when the data is grouped by unit. */
  trainUnits?: number;
  /** Private window-level points whose corpus has documents or users: the largest unit's group privacy. */
  groupPrivacy?: GroupPrivacy;
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
  /** Points with naturalSecrets: every natural secret of the training documents, measured against this point's model. */
  naturalSecrets?: NaturalSecretSummary[];
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
