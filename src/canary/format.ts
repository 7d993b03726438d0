import { InvalidArgumentError } from '../util/errors.js';

/**
 * A canary format: fixed text around exactly one secret slot.
 *
 * Syntax (one slot per format):
 *   `{digits:N}`      N symbols from 0-9
 *   `{lower:N}`       N symbols from a-z
 *   `{set:CHARS:N}`   N symbols from the characters of CHARS (Unicode code points; CHARS may
 *                     contain ':' but not '{' or '}'; every character must be distinct)
 *   `{{` and `}}`     a literal '{' and '}' outside the slot
 * Example: `the random number is {digits:9}` has |R| = 10^9.
 */
export interface CanaryFormat {
  /** The format as the user wrote it. */
  readonly template: string;
  /** Text before the secret (braces unescaped). */
  readonly prefix: string;
  /** Text after the secret (braces unescaped). */
  readonly suffix: string;
  /** 'digits', 'lower' or 'set'. */
  readonly alphabetName: 'digits' | 'lower' | 'set';
  /** The distinct symbols of the slot, in order; symbol index i means alphabet[i]. */
  readonly alphabet: readonly string[];
  /** Number of symbols in the secret (>= 1). */
  readonly length: number;
}

const DIGITS = [...'0123456789'];
const LOWER = [...'abcdefghijklmnopqrstuvwxyz'];

/** Parse a format string; throws InvalidArgumentError for a missing or second slot, empty alphabet, zero length, duplicates. */
export function parseFormat(template: string): CanaryFormat {
  let prefix = '';
  let suffix = '';
  let slot: string | undefined;
  let i = 0;
  while (i < template.length) {
    const c = template[i]!;
    const next = template[i + 1];
    if ((c === '{' && next === '{') || (c === '}' && next === '}')) {
      if (slot === undefined) prefix += c;
      else suffix += c;
      i += 2;
      continue;
    }
    if (c === '}') throw new InvalidArgumentError(`canary format '${template}' has an unmatched '}' (write '}}' for a literal brace)`);
    if (c === '{') {
      const close = template.indexOf('}', i + 1);
      if (close < 0) throw new InvalidArgumentError(`canary format '${template}' has an unclosed '{' (write '{{' for a literal brace)`);
      const body = template.slice(i + 1, close);
      if (body.includes('{')) throw new InvalidArgumentError(`canary format '${template}': a secret slot cannot contain '{'`);
      if (slot !== undefined) throw new InvalidArgumentError(`canary format '${template}' has two secret slots; exactly one is allowed`);
      slot = body;
      i = close + 1;
      continue;
    }
    if (slot === undefined) prefix += c;
    else suffix += c;
    i += 1;
  }
  if (slot === undefined) {
    throw new InvalidArgumentError(`canary format '${template}' has no secret slot (write e.g. {digits:9}, {lower:6} or {set:abc:4})`);
  }
  const { alphabetName, alphabet, length } = parseSlot(template, slot);
  return { template, prefix, suffix, alphabetName, alphabet, length };
}

function parseSlot(template: string, body: string): Pick<CanaryFormat, 'alphabetName' | 'alphabet' | 'length'> {
  const first = body.indexOf(':');
  const last = body.lastIndexOf(':');
  if (first < 0) throw new InvalidArgumentError(`canary format '${template}': slot {${body}} needs a length, e.g. {digits:9}`);
  const kind = body.slice(0, first);
  const lengthText = body.slice(last + 1);
  let alphabet: string[];
  if (kind === 'digits' || kind === 'lower') {
    if (first !== last) throw new InvalidArgumentError(`canary format '${template}': slot {${body}} must be {${kind}:N}`);
    alphabet = kind === 'digits' ? DIGITS : LOWER;
  } else if (kind === 'set') {
    if (first === last) throw new InvalidArgumentError(`canary format '${template}': slot {${body}} must be {set:CHARS:N}`);
    alphabet = [...body.slice(first + 1, last)];
    if (alphabet.length === 0) throw new InvalidArgumentError(`canary format '${template}': the alphabet of slot {${body}} is empty`);
    const seen = new Set<string>();
    for (const s of alphabet) {
      if (seen.has(s)) throw new InvalidArgumentError(`canary format '${template}': the alphabet of slot {${body}} repeats '${s}'`);
      seen.add(s);
    }
  } else {
    throw new InvalidArgumentError(`canary format '${template}': unknown alphabet '${kind}' (use digits, lower or set:CHARS)`);
  }
  if (!/^\d+$/.test(lengthText)) {
    throw new InvalidArgumentError(`canary format '${template}': the length of slot {${body}} must be a whole number, got '${lengthText}'`);
  }
  const length = Number(lengthText);
  if (length === 0) throw new InvalidArgumentError(`canary format '${template}': the secret length must be at least 1`);
  if (!Number.isSafeInteger(length) || length > 1000) {
    throw new InvalidArgumentError(`canary format '${template}': the secret length ${lengthText} is too large (at most 1000)`);
  }
  return { alphabetName: kind, alphabet, length };
}

/** |R| = |alphabet|^length, exactly. */
export function spaceSize(format: CanaryFormat): bigint {
  return BigInt(format.alphabet.length) ** BigInt(format.length);
}

/** log2 |R| in bits (finite even when |R| exceeds 2^53). */
export function log2SpaceSize(format: CanaryFormat): number {
  return format.length * Math.log2(format.alphabet.length);
}

/** The full canary text for a secret (a string of alphabet symbols). */
export function fillFormat(format: CanaryFormat, secret: string): string {
  return format.prefix + secret + format.suffix;
}

/** Secret string of symbol indices (each in [0, |alphabet|)). */
export function secretFromSymbols(format: CanaryFormat, symbols: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < symbols.length; i++) s += format.alphabet[symbols[i]!]!;
  return s;
}

/** Symbol indices of a secret string; throws InvalidArgumentError if it is not a secret of this format. */
export function symbolsFromSecret(format: CanaryFormat, secret: string): Int32Array {
  const chars = [...secret];
  if (chars.length !== format.length) {
    throw new InvalidArgumentError(`secret '${secret}' has ${chars.length} symbols; format '${format.template}' needs ${format.length}`);
  }
  const out = new Int32Array(chars.length);
  chars.forEach((c, i) => {
    const k = format.alphabet.indexOf(c);
    if (k < 0) throw new InvalidArgumentError(`secret '${secret}' has '${c}', which is not in the alphabet of format '${format.template}'`);
    out[i] = k;
  });
  return out;
}

/**
 * Lexicographic index of a secret in R (first symbol most significant), in [0, |R|).
 * Only for spaces with |R| <= 2^53 (exact enumeration sizes).
 */
export function secretIndex(symbols: ArrayLike<number>, alphabetSize: number): number {
  let idx = 0;
  for (let i = 0; i < symbols.length; i++) idx = idx * alphabetSize + symbols[i]!;
  return idx;
}

/** Inverse of {@link secretIndex}: the symbols of the index-th secret of R. */
export function symbolsFromIndex(index: number, alphabetSize: number, length: number): Int32Array {
  const out = new Int32Array(length);
  let rest = index;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = rest % alphabetSize;
    rest = Math.floor(rest / alphabetSize);
  }
  return out;
}
