/** Corpora and tokenizers: everything the trainer and the study need from src/data. */
export type { Tokenizer } from './tokenizer.js';
export { DEFAULT_MAX_VOCAB } from './tokenizer.js';
export type { Corpus, CorpusDocument, CorpusLimit } from './corpus.js';
export { loadBrownCorpus, brownFileIds, detagBrownLine, brownDir, type BrownOptions } from './brown.js';
export { loadTextCorpus, loadCorpus, listTextFiles, type CorpusSpec } from './text-corpus.js';
export { CharTokenizer, buildCharTokenizer, CHAR_UNKNOWN, type CharTokenizerOptions } from './char-tokenizer.js';
export { WordTokenizer, buildWordTokenizer, splitWords, WORD_UNKNOWN, type WordTokenizerOptions } from './word-tokenizer.js';
export { tokenizerFromJson, newlineId, linesToTokens, textToTokens } from './tokenizer-json.js';
export { splitTrainValidation, type TrainValidationSplit } from './split.js';
export { prepareData, type DataSettings, type PreparedData } from './prepare.js';
