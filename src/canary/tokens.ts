import type { Tokenizer } from '../data/tokenizer.js';
import { InvalidArgumentError } from '../util/errors.js';
import type { CanaryFormat, FormatSlot, SecretFormat } from './format.js';
import type { SecretSpace } from './space.js';

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

/** A secret format seen through a tokenizer, position by position (see secretTokens). */
export interface SecretTokens {
  /** Token ids of the text before the secret (the context given, then the format's prefix). */
  readonly prefixIds: readonly number[];
  /** positionIds[i][k] = token id of symbol k at token position i. */
  readonly positionIds: readonly Int32Array[];
  /**
   * The text of each token position's symbols: the format's positions, except that a word
   * tokenizer reads a whole separator as one position (its text keeps the separator's spaces).
   */
  readonly space: SecretSpace;
  /** Number of token positions. */
  readonly length: number;
}

/** Most symbols per alphabet tried when checking that neighbouring symbols stay separate tokens. */
const CHECK_LIMIT = 64;

/** The token id of each symbol of a slot: one known token each, all distinct. */
function slotIds(slot: FormatSlot, template: string, tokenizer: Tokenizer): Int32Array {
  const owner = new Map<number, string>();
  return Int32Array.from(slot.alphabet, (s) => {
    const id = tokenizer.idOf(s);
    if (id === undefined || !same(tokenizer.encode(s), [id])) {
      throw new InvalidArgumentError(`the ${tokenizer.kind} tokenizer has no single token for the secret symbol '${s}' of format '${template}'`);
    }
    const other = owner.get(id);
    if (other !== undefined) throw new InvalidArgumentError(`the ${tokenizer.kind} tokenizer maps the secret symbols '${other}' and '${s}' to the same token`);
    owner.set(id, s);
    return id;
  });
}

/** The token positions of a separator: one per character (char), or exactly one for the whole separator (word). */
function separatorPositions(sep: string, template: string, tokenizer: Tokenizer): { ids: Int32Array; text: string[] }[] {
  if (sep === '') return [];
  const known = (text: string): number | undefined => {
    const enc = tokenizer.encode(text);
    const id = enc[0];
    // An id whose symbol does not map back to itself is the unknown id.
    return enc.length === 1 && id !== undefined && tokenizer.idOf(tokenizer.decode([id])) === id ? id : undefined;
  };
  if (tokenizer.kind === 'char') {
    return [...sep].map((ch) => {
      const id = known(ch);
      if (id === undefined) throw new InvalidArgumentError(`the char tokenizer cannot represent the character '${ch}' of the separator '${sep}' in format '${template}'`);
      return { ids: Int32Array.of(id), text: [ch] };
    });
  }
  const id = known(sep);
  if (id === undefined) {
    const n = tokenizer.encode(sep).length;
    throw new InvalidArgumentError(
      `the ${tokenizer.kind} tokenizer reads the separator '${sep}' of format '${template}' as ${n === 1 ? 'an unknown token' : `${n} tokens`}; ` +
        'a format with several slots needs each separator to be exactly one known token (use a character tokenizer)',
    );
  }
  return [{ ids: Int32Array.of(id), text: [sep] }];
}

/**
 * Map a format with one or more slots to token positions, after the text `before` (a secret's
 * context; default none) and the format's prefix. Each slot symbol must be one known token
 * (distinct within its slot); a separator between slots becomes one position per character
 * (char tokenizer) or must be exactly one known token (word tokenizer). Neighbouring positions
 * must not merge into other tokens, nor the first position with the text before it, so a
 * secret is scored exactly as its tokens. Throws InvalidArgumentError naming what the tokenizer
 * cannot represent.
 */
export function secretTokens(format: SecretFormat, tokenizer: Tokenizer, opts: { before?: string } = {}): SecretTokens {
  const t = format.template;
  const ids: Int32Array[] = [];
  const text: (readonly string[])[] = [];
  format.slots.forEach((slot, i) => {
    if (i > 0) {
      for (const p of separatorPositions(format.separators[i - 1]!, t, tokenizer)) {
        ids.push(p.ids);
        text.push(p.text);
      }
    }
    const sIds = slotIds(slot, t, tokenizer);
    for (let k = 0; k < slot.length; k++) {
      ids.push(sIds);
      text.push(slot.alphabet);
    }
  });
  const beforeText = (opts.before ?? '') + format.prefix;
  const prefixIds = tokenizer.encode(beforeText);
  // The first symbol must not merge with the end of the text before it.
  text[0]!.slice(0, CHECK_LIMIT).forEach((a, k) => {
    if (!same(tokenizer.encode(beforeText + a), [...prefixIds, ids[0]![k]!])) {
      throw new InvalidArgumentError(
        `the ${tokenizer.kind} tokenizer merges the secret symbol '${a}' with the text before the slot of format '${t}' (put a space before the slot)`,
      );
    }
  });
  // Neighbouring positions must stay separate tokens; a slot's positions share one alphabet, so
  // each distinct pair of neighbouring alphabets is checked once.
  const checked = new Set<string>();
  const alphabetKey = new Map<readonly string[], number>();
  const keyOf = (a: readonly string[]): number => {
    if (!alphabetKey.has(a)) alphabetKey.set(a, alphabetKey.size);
    return alphabetKey.get(a)!;
  };
  for (let i = 0; i + 1 < text.length; i++) {
    const pair = `${keyOf(text[i]!)},${keyOf(text[i + 1]!)}`;
    if (checked.has(pair)) continue;
    checked.add(pair);
    text[i]!.slice(0, CHECK_LIMIT).forEach((a, ka) => {
      text[i + 1]!.slice(0, CHECK_LIMIT).forEach((b, kb) => {
        if (!same(tokenizer.encode(a + b), [ids[i]![ka]!, ids[i + 1]![kb]!])) {
          throw new InvalidArgumentError(
            `the ${tokenizer.kind} tokenizer reads '${a + b}' as other tokens than its two symbols, so secrets of format '${t}' cannot be scored symbol by symbol (use a character tokenizer or digits)`,
          );
        }
      });
    });
  }
  return { prefixIds, positionIds: ids, space: { positions: text }, length: ids.length };
}
