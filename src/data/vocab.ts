/** Vocabulary helpers shared by the character and word tokenizers. */

/**
 * The symbols a vocabulary always keeps, deduplicated in first-seen order: `base`, then
 * `extra` (lowercased when the tokenizer lowercases; split into characters when `perChar`).
 */
export function requiredSymbols(
  base: readonly string[],
  extra: Iterable<string> | undefined,
  lowercase: boolean,
  perChar: boolean,
): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const push = (s: string): void => {
    if (!seen.has(s)) {
      seen.add(s);
      out.push(s);
    }
  };
  base.forEach(push);
  for (const e of extra ?? []) {
    const s = lowercase ? e.toLowerCase() : e;
    if (perChar) for (const ch of s) push(ch);
    else push(s);
  }
  return out;
}

/**
 * `always` followed by the most frequent other symbols of `counts` (ties broken by code
 * point order, so the result does not depend on Map insertion order), `limit` symbols in all.
 */
export function countAndRank(counts: ReadonlyMap<string, number>, always: readonly string[], limit: number): string[] {
  const keep = new Set(always);
  const rest = [...counts.entries()]
    .filter(([s]) => !keep.has(s))
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const room = Math.max(0, limit - always.length);
  return [...always, ...rest.slice(0, room).map(([s]) => s)];
}

/** Vocabulary options shared by the character and word tokenizers. */
export interface VocabularyOptions {
  /** Lowercase text before encoding (and symbols in idOf). */
  lowercase?: boolean;
  /**
   * Largest vocabulary size, special ids included (default: unlimited). The always-present
   * symbols are kept; the remaining places go to the most frequent symbols of the text.
   */
  maxVocab?: number;
  /** Text whose symbols must be in the vocabulary (e.g. a canary format's fixed text). */
  required?: Iterable<string>;
}

/**
 * What both tokenizers share: a symbol list (id = index, id 0 the unknown symbol), its
 * reverse map, optional lowercasing, lookup and the JSON form. Subclasses split and join text.
 */
export abstract class VocabularyTokenizer {
  abstract readonly kind: 'char' | 'word';
  readonly unknownId = 0;
  protected readonly ids = new Map<string, number>();

  /** `symbols[id]` is the symbol of id; symbols[0] is the unknown symbol. */
  constructor(readonly symbols: readonly string[], readonly lowercase: boolean) {
    symbols.forEach((s, i) => this.ids.set(s, i));
  }

  get vocabSize(): number {
    return this.symbols.length;
  }

  /** Id of one symbol (lowercased first when the tokenizer lowercases); undefined if absent. */
  idOf(symbol: string): number | undefined {
    const s = this.lowercase ? symbol.toLowerCase() : symbol;
    if (s === this.symbols[0]) return undefined;
    return this.ids.get(s);
  }

  toJSON(): { type: 'dp-canary-tokenizer'; version: 1; kind: 'char' | 'word'; lowercase: boolean; symbols: string[] } {
    return { type: 'dp-canary-tokenizer', version: 1, kind: this.kind, lowercase: this.lowercase, symbols: [...this.symbols] };
  }
}
