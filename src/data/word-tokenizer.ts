import { InvalidArgumentError } from '../util/errors.js';
import type { Tokenizer } from './tokenizer.js';
import { countAndRank, requiredSymbols, VocabularyTokenizer, type VocabularyOptions } from './vocab.js';

/** The symbol of the unknown id (0) of a word tokenizer. */
export const WORD_UNKNOWN = '<unk>';
const DIGITS = [...'0123456789'];

// A newline; a word (letters and marks, inner apostrophes allowed: "don't", "atlanta's");
// ONE decimal digit (numbers are always split into single digits); any other single symbol.
const PIECE = /\n|[\p{L}\p{M}]+(?:['\u2019][\p{L}\p{M}]+)*|\p{Nd}|[^\s]/gu;
const IS_DIGIT = /^\p{Nd}$/u;

/**
 * Split text into word-level pieces: newline, words, single digits, punctuation. Digits are
 * always single pieces so a secret like 281265017 is 9 pieces; other whitespace is dropped.
 */
export function splitWords(text: string): string[] {
  return text.match(PIECE) ?? [];
}

// Pieces written without a space before / after them when decoding.
const NO_SPACE_BEFORE = new Set([',', '.', ';', ':', '?', '!', ')', ']', '}', '%']);
const NO_SPACE_AFTER = new Set(['(', '[', '{', '$']);

/**
 * Options for {@link buildWordTokenizer}: lowercasing is on by default; newline, the 10 digits
 * and every piece of `required` are always kept; rarer words become <unk>.
 */
export type WordTokenizerOptions = VocabularyOptions;

/**
 * Word-level tokenizer. Id 0 is <unk>, id 1 the newline; the 10 digits are always in the
 * vocabulary. decode joins pieces with single spaces, without a space before closing
 * punctuation or after an opening bracket, and with runs of digits (also 5.50, 1,000) written together; for
 * ids without <unk>, encode(decode(ids)) gives the ids back.
 */
export class WordTokenizer extends VocabularyTokenizer implements Tokenizer {
  readonly kind = 'word' as const;

  encode(text: string): number[] {
    return splitWords(this.lowercase ? text.toLowerCase() : text).map((p) => this.ids.get(p) ?? this.unknownId);
  }

  decode(ids: readonly number[]): string {
    let out = '';
    let prev: string | undefined;
    let prev2: string | undefined;
    for (const id of ids) {
      const piece = this.symbols[id] ?? WORD_UNKNOWN;
      const attach =
        prev === undefined ||
        prev === '\n' ||
        piece === '\n' ||
        NO_SPACE_BEFORE.has(piece) ||
        NO_SPACE_AFTER.has(prev) ||
        (IS_DIGIT.test(prev) && IS_DIGIT.test(piece)) ||
        // 5.50 and 1,000: a digit after a point or comma that follows a digit
        ((prev === '.' || prev === ',') && prev2 !== undefined && IS_DIGIT.test(prev2) && IS_DIGIT.test(piece));
      out += attach ? piece : ' ' + piece;
      prev2 = prev;
      prev = piece;
    }
    return out;
  }

  override toJSON(): WordTokenizerJson {
    return { ...super.toJSON(), kind: 'word' };
  }
}

/** Serialized form of a word tokenizer. */
export interface WordTokenizerJson {
  type: 'dp-canary-tokenizer';
  version: 1;
  kind: 'word';
  lowercase: boolean;
  symbols: string[];
}

/** Build a word tokenizer from training text (its pieces ranked by frequency). */
export function buildWordTokenizer(text: string | readonly string[], opts: WordTokenizerOptions = {}): WordTokenizer {
  const lowercase = opts.lowercase ?? true;
  const requiredPieces = [...(opts.required ?? [])].flatMap((r) => splitWords(lowercase ? r.toLowerCase() : r));
  const always = requiredSymbols(['\n', ...DIGITS], requiredPieces, false, false);
  const counts = new Map<string, number>();
  for (const chunk of typeof text === 'string' ? [text] : text) {
    for (const p of splitWords(lowercase ? chunk.toLowerCase() : chunk)) counts.set(p, (counts.get(p) ?? 0) + 1);
  }
  counts.delete(WORD_UNKNOWN);
  const max = opts.maxVocab ?? Infinity;
  if (max < always.length + 1) {
    throw new InvalidArgumentError(`the vocabulary limit ${max} is below the ${always.length + 1} symbols this word tokenizer must keep`);
  }
  return new WordTokenizer([WORD_UNKNOWN, ...countAndRank(counts, always, max - 1)], lowercase);
}
