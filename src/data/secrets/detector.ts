/**
 * What every secret detector shares: the match type, the canary format of a found secret,
 * and the boundary tests that tell a phone or card number from a run of digits inside a
 * longer number, a word, an id, an address or a URL.
 */
import type { SecretKind } from './types.js';

/** One secret found in one line. */
export interface SecretMatch {
  /** The secret exactly as written. */
  readonly text: string;
  /** Offset of its first character in the line (UTF-16 code units). */
  readonly index: number;
  /** Its candidate space as a canary format (see {@link formatFromPieces}). */
  readonly format: string;
  /** log2 |R| of that format, in bits. */
  readonly spaceBits: number;
}

/** Finds secrets of one kind in a line of text. Detectors hold no state between lines. */
export interface SecretDetector {
  readonly kind: SecretKind;
  /** Every secret in the line, left to right, not overlapping one another. */
  find(line: string): SecretMatch[];
}

/** A piece of a secret: literal text, or a run of symbols that varies over an alphabet. */
export interface FormatPiece {
  readonly text: string;
  /** Size of the slot's alphabet; absent for literal text. */
  readonly alphabetSize?: number;
  /** The canary slot for this piece, e.g. '{digits:4}'; absent for literal text. */
  readonly slot?: string;
}

/** Write literal text into a canary format: '{' and '}' are doubled. */
export function escapeFormatText(text: string): string {
  return text.replace(/[{}]/g, (c) => c + c);
}

/** A canary format and its log2 |R| (the sum of the slots' log2 sizes) from pieces. */
export function formatFromPieces(pieces: readonly FormatPiece[]): { format: string; spaceBits: number } {
  let format = '';
  let spaceBits = 0;
  for (const p of pieces) {
    if (p.slot === undefined) format += escapeFormatText(p.text);
    else {
      format += p.slot;
      spaceBits += [...p.text].length * Math.log2(p.alphabetSize!);
    }
  }
  return { format, spaceBits };
}

/**
 * Pieces of a text where every run of ASCII digits is a {digits:N} slot and everything else
 * is literal; the first `literalPrefix` characters are literal whatever they are (a country
 * code).
 */
export function digitPieces(text: string, literalPrefix = 0): FormatPiece[] {
  const pieces: FormatPiece[] = [];
  if (literalPrefix > 0) pieces.push({ text: text.slice(0, literalPrefix) });
  for (const m of text.slice(literalPrefix).matchAll(/(\d+)|(\D+)/g)) {
    pieces.push(m[1] !== undefined ? { text: m[1], alphabetSize: 10, slot: `{digits:${m[1].length}}` } : { text: m[2]! });
  }
  return pieces;
}

/** A match of digits, with the format where each digit run is a slot (after a literal prefix). */
export function digitMatch(text: string, index: number, literalPrefix = 0): SecretMatch {
  return { text, index, ...formatFromPieces(digitPieces(text, literalPrefix)) };
}

export function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/** A letter, digit or underscore (of any script: ids and words glue to a number through them). */
export function isWordChar(c: string | undefined): boolean {
  return c !== undefined && /[\p{L}\p{N}_]/u.test(c);
}

/**
 * True when the text from `start` to `end` continues a longer number on the left: a digit
 * right before it, or one of the joining characters (default '.', '-', '/', ':', ',') with a
 * digit before that ('2002-08-22', '10.1.2.3', '12:30').
 */
export function continuesNumberLeft(line: string, start: number, joiners = '.-/:,'): boolean {
  const c = line[start - 1];
  return isDigit(c) || (c !== undefined && joiners.includes(c) && isDigit(line[start - 2]));
}

/** The mirror of {@link continuesNumberLeft} on the right of `end` (exclusive). */
export function continuesNumberRight(line: string, end: number, joiners = '.-/:,'): boolean {
  const c = line[end];
  return isDigit(c) || (c !== undefined && joiners.includes(c) && isDigit(line[end + 1]));
}

// Characters that glue a number into one token of an address, id or URL.
const GLUE = /[A-Za-z0-9._%+\-=/:#?&@~]/;

/**
 * The token a match sits in: the longest run around it of characters that appear in
 * addresses, message ids and URLs (letters, digits and . _ % + - = / : # ? & @ ~).
 */
export function gluedToken(line: string, start: number, end: number): string {
  let a = start;
  let b = end;
  while (a > 0 && GLUE.test(line[a - 1]!)) a--;
  while (b < line.length && GLUE.test(line[b]!)) b++;
  return line.slice(a, b);
}

/**
 * True when a match is part of an e-mail address or Message-ID ('@') or a URL (a scheme,
 * 'www.', or a domain name followed by a path).
 */
export function insideAddressOrUrl(line: string, start: number, end: number): boolean {
  const token = gluedToken(line, start, end);
  return token.includes('@') || token.includes('://') || /(^|[^A-Za-z])www\./i.test(token) || /[A-Za-z0-9-]\.[A-Za-z]{2,}\//.test(token);
}

/** Scan a line with a global regex, keeping the matches `accept` turns into secrets and retrying one character later after a rejection. */
export function scanWith(line: string, re: RegExp, accept: (m: RegExpExecArray) => SecretMatch | undefined): SecretMatch[] {
  const out: SecretMatch[] = [];
  re.lastIndex = 0;
  for (let m = re.exec(line); m !== null; m = re.exec(line)) {
    const found = accept(m);
    if (found !== undefined) {
      out.push(found);
      re.lastIndex = found.index + found.text.length;
    } else re.lastIndex = m.index + 1;
  }
  return out;
}
