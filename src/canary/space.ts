import { InvalidArgumentError } from '../util/errors.js';

/**
 * A secret's candidate space R as a sequence of positions, each with its own alphabet: a
 * secret is one symbol per position, and |R| is the product of the alphabets' sizes. A literal
 * separator (the '-' of 555-1212) is a position with a one-symbol alphabet: it is scored like
 * any symbol but never branches, so it adds nothing to |R|. A single-slot canary format is the
 * special case where every position has the same alphabet.
 *
 * Symbols are text (usually one character; a literal separator that a word tokenizer reads as
 * one token is one multi-character symbol). Indices into R are mixed radix, first position
 * most significant, so for a single slot they are the usual lexicographic indices.
 */
export interface SecretSpace {
  /** positions[i][k] = the text of symbol k at position i; every alphabet is non-empty. */
  readonly positions: readonly (readonly string[])[];
}

/** The alphabet size of each position. */
export function positionSizes(space: SecretSpace): number[] {
  return space.positions.map((p) => p.length);
}

/**
 * prod_i sizes[i] as a float, grouping equal sizes into one power (size ** count), so a space
 * whose positions all have A symbols gives exactly A ** L, as the single-slot code always did.
 */
export function productOfSizes(sizes: readonly number[]): number {
  const counts = new Map<number, number>();
  for (const s of sizes) counts.set(s, (counts.get(s) ?? 0) + 1);
  let p = 1;
  for (const [s, c] of counts) p *= s ** c;
  return p;
}

/** |R| exactly. */
export function spaceCount(space: SecretSpace): bigint {
  let n = 1n;
  for (const p of space.positions) n *= BigInt(p.length);
  return n;
}

/** Symbols per position, concatenated: the secret's text (positions' symbol texts joined). */
export function spaceText(space: SecretSpace, symbols: ArrayLike<number>): string {
  if (symbols.length !== space.positions.length) throw new InvalidArgumentError(`a secret of this space has ${space.positions.length} positions, got ${symbols.length} symbols`);
  let s = '';
  for (let i = 0; i < symbols.length; i++) {
    const sym = space.positions[i]![symbols[i]!];
    if (sym === undefined) throw new InvalidArgumentError(`symbol index ${symbols[i]} outside the ${space.positions[i]!.length} symbols of position ${i}`);
    s += sym;
  }
  return s;
}

/**
 * Symbol indices of a secret's text, position by position (each position's symbol must match
 * the text at that point: the first that matches, alphabets never hold a symbol and its prefix).
 * Throws InvalidArgumentError naming the first position that does not match; `what` names the
 * space in the message.
 */
export function spaceSymbols(space: SecretSpace, text: string, what: string): Int32Array {
  const out = new Int32Array(space.positions.length);
  let at = 0;
  space.positions.forEach((alphabet, i) => {
    const k = alphabet.findIndex((sym) => text.startsWith(sym, at));
    if (k < 0) {
      const got = at < text.length ? `'${[...text.slice(at)][0]}'` : 'the end of the text';
      const want = alphabet.length === 1 ? `'${alphabet[0]}'` : `one of ${alphabet.length} symbols ('${alphabet[0]}' ... '${alphabet[alphabet.length - 1]}')`;
      throw new InvalidArgumentError(`secret '${text}' does not fit ${what}: at character ${at} it has ${got} where ${want} is needed`);
    }
    out[i] = k;
    at += alphabet[k]!.length;
  });
  if (at !== text.length) throw new InvalidArgumentError(`secret '${text}' does not fit ${what}: it is longer than the ${space.positions.length} positions of the space`);
  return out;
}

/** Mixed-radix index of a secret in R, in [0, |R|); only for |R| <= 2^53. */
export function spaceIndex(sizes: readonly number[], symbols: ArrayLike<number>): number {
  if (symbols.length !== sizes.length) throw new InvalidArgumentError(`expected ${sizes.length} symbols, got ${symbols.length}`);
  let idx = 0;
  for (let i = 0; i < sizes.length; i++) idx = idx * sizes[i]! + symbols[i]!;
  return idx;
}

/** Inverse of {@link spaceIndex}: the symbols of the index-th secret of R. */
export function symbolsAtIndex(sizes: readonly number[], index: number): Int32Array {
  const out = new Int32Array(sizes.length);
  let rest = index;
  for (let i = sizes.length - 1; i >= 0; i--) {
    out[i] = rest % sizes[i]!;
    rest = Math.floor(rest / sizes[i]!);
  }
  return out;
}

/**
 * `count` uniform members of R as row-major symbol indices [count x positions], drawn from
 * `random` position by position (one-symbol positions draw nothing: they are always 0).
 */
export function sampleSpace(random: { int(n: number): number }, sizes: readonly number[], count: number): Int32Array {
  const L = sizes.length;
  const out = new Int32Array(count * L);
  for (let r = 0; r < count; r++) {
    for (let i = 0; i < L; i++) if (sizes[i]! > 1) out[r * L + i] = random.int(sizes[i]!);
  }
  return out;
}
