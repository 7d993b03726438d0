/**
 * A study's configuration: the grid axes, the resolved config, and the named presets (their
 * shared settings and axes). grid.ts resolves overrides and builds the points.
 */
import { MITIGATIONS, type Mitigation, type PresetName, type SharedSettings, type StudyMode } from './types.js';
import type { PrivacyUnit } from '../data/units.js';

/** Which mitigations the grid holds and at which strengths. */
export interface GridAxes {
  /** Mitigations to include (each at all of its strengths below). */
  mitigations: Mitigation[];
  /** Target epsilons of the 'dp' points (natural-log units, > 0). */
  dpEpsilons: number[];
  /** Dropout rates of the 'dropout' points, in (0, 1). */
  dropoutRates: number[];
  /** L2 weight-decay coefficients of the 'weight-decay' points, > 0. */
  weightDecays: number[];
  /** Training seeds; every configuration runs once per seed. */
  seeds: number[];
  /** How models start: from scratch, fine-tuned from the study's public model, or both (one point per mode). */
  modes: StudyMode[];
  /**
   * From-scratch points cost more time than fine-tuned ones: when set, the scratch mode runs only
   * these mitigations (and scratchDpEpsilons), the fine-tune mode all of the above.
   */
  scratchMitigations?: Mitigation[];
  scratchDpEpsilons?: number[];
  /**
   * Privacy units of the DP points (default ['window']): one DP point per unit at every target
   * epsilon. Units other than window group the data of EVERY point by that unit (shared
   * dataUnit), so all points see the same windows and canaries.
   */
  privacyUnits?: PrivacyUnit[];
  /** With privacyUnits: the target epsilons of the window-level DP points only (default dpEpsilons). */
  windowDpEpsilons?: number[];
}

/** A fully resolved study: shared settings plus grid axes. */
export interface StudyConfig {
  preset: PresetName;
  shared: SharedSettings;
  axes: GridAxes;
}

/** Changes to a preset: any shared setting or grid axis. */
export type StudyOverrides = Partial<SharedSettings> & Partial<GridAxes>;

// The README records how these were tuned (the DP recipes by a sweep on public text).
const QUICK: StudyConfig = {
  preset: 'quick',
  shared: {
    corpus: 'brown',
    corpusMaxChars: 30_000,
    validationFraction: 0.1,
    dataSeed: 1,
    tokenizer: 'char',
    lowercase: true,
    maxVocab: 64,
    cell: 'lstm',
    embeddingDim: 16,
    hiddenSize: 64,
    layers: 1,
    epochs: 8,
    optimizer: 'adam',
    learningRate: 0.01,
    seqLength: 32,
    batchSize: 32,
    clip: 1,
    physicalBatchSize: 256,
    dpRecipe: { batchSize: 128, learningRate: 0.02, epochs: 12, clip: 0.5 },
    publicCorpus: 'brown',
    publicCorpusChars: 300_000,
    publicRecipe: { batchSize: 64, learningRate: 0.01, epochs: 1, clip: 1 },
    fineTuneRecipe: { batchSize: 32, learningRate: 0.005, epochs: 4, clip: 1 },
    fineTuneDpRecipe: { batchSize: 128, learningRate: 0.005, epochs: 6, clip: 0.5 },
    delta: 1e-5,
    canaryFormat: 'the random number is {digits:4}',
    insertions: [1, 8, 32],
    exposureReferences: 1000,
    extractionMaxQueries: 20_000,
    exposureEachEpoch: true,
  },
  axes: {
    mitigations: [...MITIGATIONS], dpEpsilons: [8], dropoutRates: [0.5], weightDecays: [1e-3], seeds: [1],
    modes: ['fine-tune', 'scratch'], scratchMitigations: ['none', 'dp'], scratchDpEpsilons: [8],
  },
};

const DEFAULT: StudyConfig = {
  preset: 'default',
  shared: {
    ...QUICK.shared,
    corpusMaxChars: 200_000,
    embeddingDim: 32,
    hiddenSize: 128,
    epochs: 10,
    learningRate: 0.005,
    seqLength: 64,
    batchSize: 64,
    physicalBatchSize: 256,
    // Tuned by the sweep in the README, on public Brown text only (never on the private part).
    dpRecipe: { batchSize: 256, learningRate: 0.03, epochs: 15, clip: 0.5 },
    publicCorpusChars: 1_500_000,
    // The public model trains like the non-private baseline (batch 64, Adam 0.005), for 2 epochs.
    publicRecipe: { batchSize: 64, learningRate: 0.005, epochs: 2, clip: 1 },
    fineTuneRecipe: { batchSize: 64, learningRate: 0.005, epochs: 4, clip: 1 },
    fineTuneDpRecipe: { batchSize: 512, learningRate: 0.005, epochs: 8, clip: 0.5 },
    canaryFormat: 'the random number is {digits:6}',
    insertions: [1, 4, 16, 64],
    exposureReferences: 10_000,
    extractionMaxQueries: 100_000,
    exposureEachEpoch: true,
  },
  // 1000 stands for "very large": almost no noise, still clipped and sampled.
  axes: {
    mitigations: [...MITIGATIONS], dpEpsilons: [1, 3, 8, 1000], dropoutRates: [0.5], weightDecays: [1e-3], seeds: [1],
    modes: ['fine-tune', 'scratch'], scratchMitigations: ['none', 'dp'], scratchDpEpsilons: [8],
  },
};

const PAPER: StudyConfig = {
  preset: 'paper',
  shared: {
    ...DEFAULT.shared,
    corpusMaxChars: 6_000_000, // the whole Brown Corpus (5.9 M characters)
    maxVocab: 100,
    lowercase: false,
    embeddingDim: 64,
    hiddenSize: 256,
    layers: 2,
    epochs: 20,
    learningRate: 0.002,
    seqLength: 100,
    batchSize: 256,
    dpRecipe: { batchSize: 4096, learningRate: 0.01, epochs: 20, clip: 0.5 },
    canaryFormat: 'the random number is {digits:9}',
    insertions: [1, 4, 16, 64, 256],
    exposureReferences: 100_000,
    extractionMaxQueries: 1_000_000,
  },
  axes: { mitigations: [...MITIGATIONS], dpEpsilons: [1, 3, 8, 1e6], dropoutRates: [0.2, 0.5], weightDecays: [1e-4, 1e-3], seeds: [1, 2, 3], modes: ['scratch'] },
};

/**
 * The e-mail study (issue 18): the SpamAssassin ham mails are the private data (one mail = one
 * document, its sender = its user), the spam (sent to everyone, so public) trains the public
 * model. Canaries are planted with all copies of each in one sender's mails; the natural
 * secrets (phone numbers) of the training mails are tested too. Points: no DP, DP per window
 * at epsilon 8, DP per user at epsilon 8 and 3, all fine-tuned. The README says why these sizes.
 */
const EMAIL: StudyConfig = {
  preset: 'email',
  shared: {
    ...DEFAULT.shared,
    // Three mailing lists of the ham (1,170 mails from 296 senders, about 1 M characters of
    // bodies): enough senders for per-user DP to learn, small enough for 4 epochs without DP,
    // and the mails of the corpus's most repeated phone numbers. The README says why.
    corpus: 'spam-assassin:ham?list=exmh,ilug,freshrpms',
    corpusMaxChars: 20_000_000,
    delta: 1e-6,
    maxVocab: 96,
    publicCorpus: 'spam-assassin:spam',
    publicCorpusChars: 1_000_000,
    fineTuneRecipe: { batchSize: 64, learningRate: 0.005, epochs: 4, clip: 1 },
    fineTuneDpRecipe: { batchSize: 512, learningRate: 0.005, epochs: 4, clip: 0.5 },
    // Per user: batchSize counts senders (about 290 in training).
    fineTuneUnitDpRecipe: { batchSize: 64, learningRate: 0.002, epochs: 12, clip: 0.5 },
    insertions: [1, 4, 16, 64],
    exposureReferences: 10_000,
    extractionMaxQueries: 100_000,
    exposureEachEpoch: false,
    dataUnit: 'user',
    naturalSecrets: true,
  },
  axes: {
    mitigations: ['none', 'dp'], dpEpsilons: [8, 3], windowDpEpsilons: [8], privacyUnits: ['window', 'user'], dropoutRates: [0.5], weightDecays: [1e-3], seeds: [1],
    modes: ['fine-tune'],
  },
};

/** The e-mail study small: the two exmh mailing lists (229 mails, 47 senders), a 64-unit LSTM, 4-digit canaries. */
const EMAIL_QUICK: StudyConfig = {
  preset: 'email-quick',
  shared: {
    ...QUICK.shared,
    corpus: 'spam-assassin:ham?list=exmh',
    corpusMaxChars: 1_000_000,
    maxVocab: 96,
    publicCorpus: 'spam-assassin:spam',
    publicCorpusChars: 300_000,
    fineTuneRecipe: { batchSize: 32, learningRate: 0.005, epochs: 4, clip: 1 },
    fineTuneDpRecipe: { batchSize: 128, learningRate: 0.005, epochs: 6, clip: 0.5 },
    fineTuneUnitDpRecipe: { batchSize: 16, learningRate: 0.002, epochs: 6, clip: 0.5 },
    insertions: [1, 8, 32],
    exposureEachEpoch: false,
    dataUnit: 'user',
    naturalSecrets: true,
  },
  axes: {
    mitigations: ['none', 'dp'], dpEpsilons: [8], privacyUnits: ['window', 'user'], dropoutRates: [0.5], weightDecays: [1e-3], seeds: [1],
    modes: ['fine-tune'],
  },
};

/**
 * What `--cell transformer` changes in a preset: a GPT-style model of about the LSTM's parameter
 * count and the transformer's own recipes, tuned like the LSTM's on public Brown text only (the
 * README has the sweep). Presets without an entry keep their recipes with the transformer shape
 * defaults (2 blocks, 4 heads, FFN 4 x width).
 */
export const TRANSFORMER_VARIANTS: Partial<Record<PresetName, Partial<SharedSettings>>> = {
  // 2 blocks of width 32 (29 k parameters; the LSTM 64: 25 k).
  quick: {
    cell: 'transformer', embeddingDim: 32, hiddenSize: 32, layers: 2, heads: 4, ffnSize: 128,
    batchSize: 32, learningRate: 0.003, epochs: 12,
    dpRecipe: { batchSize: 128, learningRate: 0.005, epochs: 12, clip: 0.5 },
    publicRecipe: { batchSize: 32, learningRate: 0.003, epochs: 1, clip: 1 },
    fineTuneRecipe: { batchSize: 32, learningRate: 0.002, epochs: 4, clip: 1 },
    fineTuneDpRecipe: { batchSize: 128, learningRate: 0.002, epochs: 6, clip: 0.5 },
  },
  // 2 blocks of width 64, 4 heads, FFN 256 (112 k parameters; the LSTM 128: 93 k).
  default: {
    cell: 'transformer', embeddingDim: 64, hiddenSize: 64, layers: 2, heads: 4, ffnSize: 256,
    // Batch 32 (twice the LSTM's steps) and 15 epochs: without learning-rate warm-up, Adam above
    // 0.003 stalls this model early, and at 10 epochs of batch 64 it was still learning (README).
    batchSize: 32, learningRate: 0.003, epochs: 15,
    dpRecipe: { batchSize: 256, learningRate: 0.005, epochs: 15, clip: 0.5 },
    publicRecipe: { batchSize: 32, learningRate: 0.003, epochs: 2, clip: 1 },
    fineTuneRecipe: { batchSize: 64, learningRate: 0.002, epochs: 4, clip: 1 },
    fineTuneDpRecipe: { batchSize: 512, learningRate: 0.002, epochs: 8, clip: 0.5 },
  },
};

export const PRESETS: Record<PresetName, StudyConfig> = { quick: QUICK, default: DEFAULT, paper: PAPER, email: EMAIL, 'email-quick': EMAIL_QUICK };

/** Names of the presets. */
export const PRESET_NAMES: readonly PresetName[] = ['default', 'quick', 'paper', 'email', 'email-quick'];
