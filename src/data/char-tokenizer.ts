import { UserError } from '../util/errors.js';
import type { Tokenizer } from './tokenizer.js';
import { countAndRank, requiredSymbols } from './vocab.js';

/** The decoded text of the unknown id of a character tokenizer (U+FFFD replacement character). */
export const CHAR_UNKNOWN = '\uFFFD';

/** Options for {@link buildCharTokenizer}. */
export interface CharTokenizerOptions {
  /** Lowercase text before encoding (and symbols in idOf); default false. */
  lowercase?: boolean;
  /**
   * Largest vocabulary size, special ids included (default: unlimited). The always-present
   * symbols (unknown, newline, space, digits, lowercase letters, `required`) are kept; the
   * remaining places go to the most frequent characters of the text.
   */
  maxVocab?: number;
  /** Characters that must be in the vocabulary (e.g. every character of a canary format). */
  required?: Iterable<string>;
}

/**
 * Character-level tokenizer over Unicode code points. Id 0 is the unknown character; newline,
 * space, the 10 digits and the 26 lowercase letters are always in the vocabulary so that any
 * digit/letter canary is representable.
 */
export class CharTokenizer implements Tokenizer {
  readonly kind = 'char' as const;
  readonly unknownId = 0;
  private readonly ids = new Map<string, number>();

  /** `symbols[id]` is the character of id; symbols[0] must be CHAR_UNKNOWN. */
  constructor(readonly symbols: readonly string[], readonly lowercase: boolean) {
    symbols.forEach((s, i) => this.ids.set(s, i));
  }

  get vocabSize(): number {
    return this.symbols.length;
  }

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

  /** Id of one character (lowercased first when the tokenizer lowercases); undefined if absent. */
  idOf(symbol: string): number | undefined {
    const s = this.lowercase ? symbol.toLowerCase() : symbol;
    if (s === CHAR_UNKNOWN) return undefined;
    return this.ids.get(s);
  }

  toJSON(): CharTokenizerJson {
    return { type: 'dp-canary-tokenizer', version: 1, kind: 'char', lowercase: this.lowercase, symbols: [...this.symbols] };
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
    throw new UserError(`the vocabulary limit ${max} is below the ${always.length + 1} symbols a character tokenizer always keeps`);
  }
  const symbols = [CHAR_UNKNOWN, ...countAndRank(counts, always, max - 1)];
  return new CharTokenizer(symbols, lowercase);
}
