import type { RandomSource } from '../util/random.js';
import { seededRandom } from '../util/random.js';
import { buildCharTokenizer } from './char-tokenizer.js';
import type { Corpus } from './corpus.js';
import { validationMask } from './split.js';
import { loadCorpus } from './text-corpus.js';
import type { Tokenizer } from './tokenizer.js';
import { buildWordTokenizer } from './word-tokenizer.js';

/** Data settings of a run (the same names as the study's shared settings). */
export interface DataSettings {
  /** 'brown' or a path to a .txt file or folder. */
  corpus: string;
  /** Characters of corpus text to use (newlines not counted); Infinity for all. */
  corpusMaxChars: number;
  /** Validation fraction of lines, in (0, 1). */
  validationFraction: number;
  tokenizer: 'char' | 'word';
  lowercase: boolean;
  /** Largest vocabulary size, special ids included. */
  maxVocab: number;
  /**
   * Text whose symbols must be in the vocabulary, e.g. a canary format's prefix, suffix and
   * slot alphabet, so every canary is representable (digits always are).
   */
  requiredText?: string[];
  /**
   * Use this tokenizer instead of building one from the training lines (fine-tuning a model
   * that was trained with it). Text it cannot represent maps to its unknown-token id.
   */
  useTokenizer?: Tokenizer;
  /** Use this corpus instead of loading `corpus` (for example a public part of one). */
  corpusOverride?: Corpus;
}

/** A corpus split and a tokenizer, ready for canary insertion into `train`. */
export interface PreparedData {
  corpus: Corpus;
  /** Training lines (insert canaries here, then tokenize with linesToTokens). */
  train: string[];
  /** Validation lines: never holds a canary. */
  validation: string[];
  /** Built from the training lines plus `requiredText`. */
  tokenizer: Tokenizer;
  /** Index in corpus.documents of each training line's document (present when the corpus has documents). */
  trainLineDocuments?: Int32Array;
}

/**
 * Load the corpus, split it by lines with `rng` (default: seeded from `dataSeed` so all
 * points of a study share one split), and build the tokenizer from the training lines.
 */
export function prepareData(settings: DataSettings, rng: RandomSource | number): PreparedData {
  const corpus = settings.corpusOverride ?? loadCorpus({ corpus: settings.corpus, maxChars: settings.corpusMaxChars });
  const random = typeof rng === 'number' ? seededRandom(rng).fork('split') : rng;
  // splitTrainValidation's rule and draws, keeping which document each training line came from.
  const isVal = validationMask(corpus.lines.length, settings.validationFraction, random, 'lines of text');
  const train: string[] = [];
  const validation: string[] = [];
  corpus.lines.forEach((l, i) => (isVal[i] ? validation : train).push(l));
  const tokenizer = tokenizerFor(settings, train);
  const docs = documentOfLines(corpus);
  return { corpus, train, validation, tokenizer, ...(docs ? { trainLineDocuments: docs.filter((_, i) => !isVal[i]) } : {}) };
}

/** The tokenizer of a run: settings.useTokenizer, or one built from the training lines plus settings.requiredText. */
export function tokenizerFor(settings: Pick<DataSettings, 'tokenizer' | 'lowercase' | 'maxVocab' | 'requiredText' | 'useTokenizer'>, trainLines: readonly string[]): Tokenizer {
  if (settings.useTokenizer) return settings.useTokenizer;
  const opts = { lowercase: settings.lowercase, maxVocab: settings.maxVocab, required: settings.requiredText ?? [] };
  return settings.tokenizer === 'char' ? buildCharTokenizer(trainLines, opts) : buildWordTokenizer(trainLines, opts);
}

/** Index in corpus.documents of each corpus line, or null when the corpus has no documents (or they do not cover its lines). */
function documentOfLines(corpus: Corpus): Int32Array | null {
  const docs = corpus.documents;
  if (!docs || docs.length === 0) return null;
  const out = new Int32Array(corpus.lines.length);
  let at = 0;
  docs.forEach((d, j) => {
    out.fill(j, at, at + d.lines.length);
    at += d.lines.length;
  });
  return at === corpus.lines.length ? out : null;
}
