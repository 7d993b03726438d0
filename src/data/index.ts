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
export { loadMailCorpus, mailFiles, readMailDocuments, isMailCorpusName, spamAssassinDataDir, SPAM_ASSASSIN_PACKAGE, SPAM_ASSASSIN_PARTS, type MailCorpusOptions, type MailFiles } from './mail/corpus.js';
export { parseMail, type ParsedMail } from './mail/parse.js';
export { openCorpusStream, type CorpusStream, type CorpusStreamOptions, type StreamedDocument } from './corpus-stream.js';
export { SECRET_KINDS, type SecretKind, type NaturalSecret, type SecretOccurrence } from './secrets/types.js';
export { SecretScanner, scanSecrets, DEFAULT_CONTEXT_CHARS, type SecretScan, type SecretKindSummary } from './secrets/scan.js';
export { BUILTIN_DETECTORS, BUILTIN_SECRET_KINDS, parseSecretKinds, type BuiltinSecretKind } from './secrets/kinds.js';
export { customFormatDetector, type SlotFormat } from './secrets/custom.js';
export type { SecretDetector, SecretMatch } from './secrets/detector.js';
