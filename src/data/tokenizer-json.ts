import { InvalidArgumentError } from '../util/errors.js';
import type { Tokenizer } from './tokenizer.js';
import { CHAR_UNKNOWN, CharTokenizer } from './char-tokenizer.js';
import { WORD_UNKNOWN, WordTokenizer } from './word-tokenizer.js';

/**
 * Restore a tokenizer from its `toJSON()` value (e.g. read from a run folder), checking its
 * shape: an InvalidArgumentError says what is wrong with a damaged or foreign file.
 */
export function tokenizerFromJson(value: unknown): Tokenizer {
  const bad = (why: string): never => {
    throw new InvalidArgumentError(`not a dp-canary tokenizer: ${why}`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad('expected a JSON object');
  const v = value as Record<string, unknown>;
  if (v.type !== 'dp-canary-tokenizer') bad(`"type" must be "dp-canary-tokenizer"`);
  if (v.version !== 1) bad(`unsupported version ${JSON.stringify(v.version)}`);
  if (typeof v.lowercase !== 'boolean') bad('"lowercase" must be true or false');
  const symbols = v.symbols;
  if (!Array.isArray(symbols) || symbols.some((s) => typeof s !== 'string' || s === '')) {
    return bad('"symbols" must be an array of non-empty strings');
  }
  if (new Set(symbols).size !== symbols.length) bad('"symbols" has duplicates');
  const lowercase = v.lowercase as boolean;
  const syms = symbols as string[];
  const needs = (list: readonly string[], what: string): void => {
    for (const s of list) if (!syms.includes(s)) bad(`${what} ${JSON.stringify(s)} is missing`);
  };
  needs([...'0123456789', '\n'], 'symbol');
  if (v.kind === 'char') {
    if (syms[0] !== CHAR_UNKNOWN) bad('id 0 of a char tokenizer must be the unknown character U+FFFD');
    if (syms.some((s) => [...s].length !== 1)) bad('a char tokenizer symbol is longer than one character');
    needs([' ', ...'abcdefghijklmnopqrstuvwxyz'], 'symbol');
    if (lowercase && syms.some((s) => s !== s.toLowerCase())) bad('a lowercasing tokenizer has an uppercase symbol');
    return new CharTokenizer(syms, lowercase);
  }
  if (v.kind === 'word') {
    if (syms[0] !== WORD_UNKNOWN) bad('id 0 of a word tokenizer must be <unk>');
    if (syms[1] !== '\n') bad('id 1 of a word tokenizer must be the newline');
    return new WordTokenizer(syms, lowercase);
  }
  return bad(`"kind" must be "char" or "word", got ${JSON.stringify(v.kind)}`);
}

/** The id of the newline token (every dp-canary tokenizer has one). */
export function newlineId(tokenizer: Tokenizer): number {
  const id = tokenizer.idOf('\n');
  if (id === undefined) throw new InvalidArgumentError('tokenizer has no newline symbol');
  return id;
}

/**
 * One token stream for a list of lines: each line's ids followed by the newline id, so a
 * model sees line boundaries (the canary's line ends with a newline too).
 */
export function linesToTokens(lines: readonly string[], tokenizer: Tokenizer): Int32Array {
  const nl = newlineId(tokenizer);
  const parts = lines.map((l) => tokenizer.encode(l));
  const total = parts.reduce((n, p) => n + p.length + 1, 0);
  const out = new Int32Array(total);
  let k = 0;
  for (const p of parts) {
    out.set(p, k);
    k += p.length;
    out[k++] = nl;
  }
  return out;
}

/** Token stream of a raw text whose lines are separated by '\n' (each '\n' becomes the newline id). */
export function textToTokens(text: string, tokenizer: Tokenizer): Int32Array {
  return Int32Array.from(tokenizer.encode(text));
}
