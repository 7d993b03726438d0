/** Maps text to token ids and back; both character- and word-level tokenizers implement it. */
export interface Tokenizer {
  readonly kind: 'char' | 'word';
  /** Vocabulary size; ids are 0 .. vocabSize-1. */
  readonly vocabSize: number;
  /** Token ids of a text. Unknown symbols map to the tokenizer's unknown id. */
  encode(text: string): number[];
  /** Text of a sequence of ids. */
  decode(ids: readonly number[]): string;
  /** Id of one symbol (a character, or a word), or undefined if it is not in the vocabulary. */
  idOf(symbol: string): number | undefined;
  /** JSON-serializable description that `tokenizerFromJson` restores. */
  toJSON(): unknown;
}

/**
 * Default largest vocabulary (special ids included) of each tokenizer kind: a character
 * vocabulary of English text fits in 64 symbols (letters, digits, punctuation); a word
 * vocabulary keeps the 10,000 most frequent words, the size of the Penn Treebank language
 * modelling benchmark (Mikolov's preprocessing), the rest mapping to the unknown word.
 */
export const DEFAULT_MAX_VOCAB: Readonly<Record<Tokenizer['kind'], number>> = { char: 64, word: 10_000 };
