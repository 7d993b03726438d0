import { InvalidArgumentError } from '../util/errors.js';
import type { Tokenizer } from './tokenizer.js';
import { countAndRank, requiredSymbols, VocabularyTokenizer, type VocabularyOptions } from './vocab.js';

/** The decoded text of the unknown id of a character tokenizer (U+FFFD replacement character). */
export const CHAR_UNKNOWN = '\uFFFD';

/**
 * Options for {@link buildCharTokenizer}: lowercasing is off by default; newline, space, digits,
 * lowercase letters and every character of `required` are always kept.
 */
export type CharTokenizerOptions = VocabularyOptions;

/**
 * Character-level tokenizer over Unicode code points. Id 0 is the unknown character; newline,
 * space, the 10 digits and the 26 lowercase letters are always in the vocabulary so that any
 * digit/letter canary is representable.
 */
export class CharTokenizer extends VocabularyTokenizer implements Tokenizer {
  readonly kind = 'char' as const;

  encode(text: string): number[] {
    const t = this.lowercase ? text.toLowerCase() : text;
    const out: number[] = [];
    for (const ch of t) out.push(this.ids.get(ch) ?? this.unknownId);
    return out;
  }

  decode(ids: readonly number[]): string {
    let s = '';
    for (const id of ids) s += this.symbols[id] ?? CHAR_UNKNOWN;
    return s;
  }

  override toJSON(): CharTokenizerJson {
    return { ...super.toJSON(), kind: 'char' };
  }
}

/** Serialized form of a character tokenizer. */
export interface CharTokenizerJson {
  type: 'dp-canary-tokenizer';
  version: 1;
  kind: 'char';
  lowercase: boolean;
  symbols: string[];
}

/** Build a character tokenizer from training text (its characters ranked by frequency). */
export function buildCharTokenizer(text: string | readonly string[], opts: CharTokenizerOptions = {}): CharTokenizer {
  const lowercase = opts.lowercase ?? false;
  const always = requiredSymbols(['\n', ' ', ...'0123456789', ...'abcdefghijklmnopqrstuvwxyz'], opts.required, lowercase, true);
  const chunks = typeof text === 'string' ? [text] : text;
  const counts = new Map<string, number>();
  for (const chunk of chunks) {
    for (const ch of lowercase ? chunk.toLowerCase() : chunk) {
      if (ch !== CHAR_UNKNOWN) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    }
  }
  const max = opts.maxVocab ?? Infinity;
  if (max < always.length + 1) {
    throw new InvalidArgumentError(`the vocabulary limit ${max} is below the ${always.length + 1} symbols a character tokenizer always keeps`);
  }
  const symbols = [CHAR_UNKNOWN, ...countAndRank(counts, always, max - 1)];
  return new CharTokenizer(symbols, lowercase);
}
