import type { Tokenizer } from '../data/tokenizer.js';
import { InvalidArgumentError } from '../util/errors.js';
import type { CanaryFormat } from './format.js';

/** A format seen through a tokenizer: the prefix's token ids and one token id per alphabet symbol. */
export interface CanaryTokens {
  /** Token ids of the format's prefix (the fixed context before the secret). */
  readonly prefixIds: readonly number[];
  /** symbolIds[k] = token id of alphabet symbol k; all distinct. */
  readonly symbolIds: Int32Array;
  /** Number of secret symbols (= tokens). */
  readonly length: number;
}

function same(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Map a format to token ids, checking that a secret is scored exactly as its tokens: each symbol
 * is one known token (char-level: the character; word-level: digits are single tokens, letters
 * are not), the symbols' ids are distinct, symbols do not merge with each other or with the end
 * of the prefix. Throws InvalidArgumentError when the tokenizer cannot represent the format this way.
 */
export function canaryTokens(format: CanaryFormat, tokenizer: Tokenizer): CanaryTokens {
  const ids = format.alphabet.map((s) => {
    const id = tokenizer.idOf(s);
    if (id === undefined || !same(tokenizer.encode(s), [id])) {
      throw new InvalidArgumentError(`the ${tokenizer.kind} tokenizer has no single token for the secret symbol '${s}' of format '${format.template}'`);
    }
    return id;
  });
  const owner = new Map<number, string>();
  format.alphabet.forEach((s, k) => {
    const other = owner.get(ids[k]!);
    if (other !== undefined) {
      throw new InvalidArgumentError(`the ${tokenizer.kind} tokenizer maps the secret symbols '${other}' and '${s}' to the same token`);
    }
    owner.set(ids[k]!, s);
  });
  const prefixIds = tokenizer.encode(format.prefix);
  // Adjacent symbols must stay separate tokens (a word tokenizer joins letters into one word),
  // and the first symbol must not merge with the prefix's last piece.
  const A = format.alphabet.length;
  const pairLimit = 64;
  for (let a = 0; a < Math.min(A, pairLimit); a++) {
    for (let b = 0; b < Math.min(A, pairLimit); b++) {
      const pair = format.alphabet[a]! + format.alphabet[b]!;
      if (format.length >= 2 && !same(tokenizer.encode(pair), [ids[a]!, ids[b]!])) {
        throw new InvalidArgumentError(
          `the ${tokenizer.kind} tokenizer reads '${pair}' as other tokens than its two symbols, so secrets of format '${format.template}' cannot be scored symbol by symbol (use a character tokenizer or digits)`,
        );
      }
    }
    const withPrefix = tokenizer.encode(format.prefix + format.alphabet[a]!);
    if (!same(withPrefix, [...prefixIds, ids[a]!])) {
      throw new InvalidArgumentError(
        `the ${tokenizer.kind} tokenizer merges the secret symbol '${format.alphabet[a]}' with the text before the slot of format '${format.template}' (put a space before the slot)`,
      );
    }
  }
  return { prefixIds, symbolIds: Int32Array.from(ids), length: format.length };
}
