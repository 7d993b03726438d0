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
