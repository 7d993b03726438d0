import type { NonFinitePolicy } from '../dpsgd/non-finite.js';
import type { AccountantName } from '../accountant/accountant.js';
import type { OptimizerName } from '../dpsgd/optimizer-names.js';
import type { CellName } from '../dpsgd/cell-names.js';
import type { DocumentUnit, PrivacyUnit } from '../data/units.js';

/**
 * How a run tries to prevent memorization, defined once (in report order): the type, the
 * study's grid, job and JSON checks, and the CLI's --mitigations all come from this list.
 */
export const MITIGATIONS = ['none', 'dp', 'dropout', 'weight-decay', 'sanitize'] as const;

export type Mitigation = (typeof MITIGATIONS)[number];

/** True when `name` is one of {@link MITIGATIONS}. */
export function isMitigation(name: unknown): name is Mitigation {
  return (MITIGATIONS as readonly unknown[]).includes(name);
}

/**
 * What a run trains on and from where: 'scratch' (random weights, the private text with its
 * canaries), 'fine-tune' (the same text, starting from another run's weights: see
 * RunConfig.initFrom) or 'public' (the public text, which holds no canary: a study's public model).
 */
export const RUN_MODES = ['scratch', 'fine-tune', 'public'] as const;

export type RunMode = (typeof RUN_MODES)[number];

/**
 * The settings of one training run: data, canaries, model, training recipe and mitigation.
 * Plain JSON data (written to the run's run.json). A study point is these settings plus an id
 * and the study's own fields (src/study/types.ts).
 */
export interface RunSettings {
  /** 'brown' for the embedded Brown Corpus, or a path to a user's .txt file / folder. */
  corpus: string;
  /** Characters of corpus text to use (newlines not counted). */
  corpusMaxChars: number;
  /** Fraction of lines held out for validation, in (0, 1). */
  validationFraction: number;
  /** Seed of the train/validation split and of the canary secrets. */
  dataSeed: number;
  tokenizer: 'char' | 'word';
  /** Lowercase the text before tokenizing. */
  lowercase: boolean;
  /** Largest vocabulary size (special ids included). */
  maxVocab: number;
  /** The language model: a recurrent cell, or 'transformer'. */
  cell: CellName;
  /** Embedding width (a transformer's equals hiddenSize). */
  embeddingDim: number;
  /** Recurrent state size, or a transformer's width. */
  hiddenSize: number;
  /** Recurrent layers or transformer blocks. */
  layers: number;
  /** Transformer only: attention heads (dividing hiddenSize). */
  heads?: number;
  /** Transformer only: the MLP's hidden width. */
  ffnSize?: number;
  /** Passes over the training data (may be fractional). */
  epochs: number;
  optimizer: OptimizerName;
  learningRate: number;
  /** Tokens per training sequence (the unit DP-SGD protects). */
  seqLength: number;
  /** Expected batch size; the Poisson sampling rate is batchSize / number of sequences. */
  batchSize: number;
  /** Per-example L2 clipping norm C (DP runs only). */
  clip: number;
  /** Largest number of examples in one forward/backward pass; larger logical batches are processed in chunks. */
  physicalBatchSize: number;
  /**
   * Text of 'public' runs: 'brown' (the Brown Corpus documents that the private part does not
   * use) or a path to a .txt file or folder. It must not hold the canaries.
   */
  publicCorpus: string;
  /** Characters of public text to use. */
  publicCorpusChars: number;
  /** Target delta of (epsilon, delta)-DP; also reported for non-private runs. */
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
  /** The accountant that calibrates and budgets DP runs: 'rdp' (default) or 'pld' (tighter). */
  accountant?: AccountantName;
  /** An example with a non-finite loss or gradient: 'stop' the run (default) or 'skip' it (counted). */
  nonFinite?: NonFinitePolicy;
  /**
   * Audit canaries m of the one-run privacy audit (src/audit/): each is put into the training
   * data with probability 1/2 as `auditRepeats` windows of its own. Absent or 0: no audit.
   */
  auditCanaries?: number;
  /** Training windows per included audit canary (>= 1, default 1); the bound is per window. */
  auditRepeats?: number;
  /** Format of the audit canaries (default src/audit/plant.ts DEFAULT_AUDIT_FORMAT); must differ from canaryFormat. */
  auditFormat?: string;
  /**
   * What DP-SGD protects (src/data/units.ts): 'window' (default: one training window), 'document'
   * or 'user'. Larger units need mitigation 'dp' and data grouped by the same unit (dataUnit).
   */
  privacyUnit?: PrivacyUnit;
  /**
   * How the training data is grouped: windows cut from each unit's own text (none spans two
   * units), the split by document, all copies of a canary in one unit. Default: the privacy unit
   * ('window': none, the corpus as one stream). A window-level run with a data unit reports the
   * group privacy of its largest unit exactly. Ignored by 'public' runs.
   */
  dataUnit?: DocumentUnit;
  /** m: most windows a sampled unit contributes to one DP-SGD step (integer >= 1; default DEFAULT_UNIT_WINDOWS). */
  unitWindows?: number;
  /** A user map file (JSON object or TSV `document-id<TAB>user`) giving each document's user. */
  userMap?: string;
  /** A regular expression whose first capture group on a document id is its user. */
  userPattern?: string;
  /**
   * Study points: after training, find the natural secrets of the training documents (phone,
   * card, SSN, IPv4) and measure their exposure and extraction (needs a data unit).
   */
  naturalSecrets?: boolean;
  /** What the run trains on and from where (see {@link RUN_MODES}). */
  mode: RunMode;
  mitigation: Mitigation;
  /** Target epsilon (natural-log units) for DP-SGD; present exactly when mitigation is 'dp' (or give RunConfig.noiseMultiplier). */
  targetEpsilon?: number;
  /** Dropout rate in [0, 1); 0 except for 'dropout' runs. */
  dropout: number;
  /** L2 weight decay coefficient >= 0; 0 except for 'weight-decay' runs. */
  weightDecay: number;
  /** Seed of model initialisation, batch sampling and DP noise. */
  seed: number;
}

/**
 * Everything one training run needs: its settings plus options only `dp-canary train` exposes.
 * A study point is a RunConfig (with an id and fields only the study reads); `dp-canary train`
 * fills one from its flags.
 */
export interface RunConfig extends RunSettings {
  /** DP noise multiplier sigma (noise std / clip norm); give this or targetEpsilon for 'dp'. */
  noiseMultiplier?: number;
  /**
   * Draw DP noise and batches from node:crypto (a real privacy guarantee) instead of the
   * seeded generator (reproducible experiments). Canary secrets then come from node:crypto too.
   */
  secureRandom?: boolean;
  /** Poisson sampling rate q in (0, 1]; overrides batchSize (q = batchSize / training windows). */
  samplingRate?: number;
  /**
   * A finished run folder to start from (its weights and tokenizer): fine-tuning. A private
   * starting run's ledger is composed into this run's; a non-private one is treated as trained
   * on public data (the user's claim).
   */
  initFrom?: string;
  /** Largest |R| scored exactly; larger canary spaces use estimation (default 1e7). */
  maxExactSpace?: number;
}

/** The part of a config that fixes the data and the canaries (shared by all points of a study). */
export function dataKey(c: RunConfig): string {
  return JSON.stringify([c.corpus, c.corpusMaxChars, c.validationFraction, c.dataSeed, c.tokenizer, c.lowercase, c.maxVocab,
    c.canaryFormat, c.insertions, c.seqLength, c.auditCanaries ?? 0, c.auditRepeats ?? 1, c.auditFormat ?? null,
    c.dataUnit ?? (c.privacyUnit === 'window' ? null : (c.privacyUnit ?? null)), c.userMap ?? null, c.userPattern ?? null]);
}
