import { InvalidArgumentError } from '../util/errors.js';
import { type SecretSpace, spaceSymbols, spaceText } from './space.js';

/** One secret slot of a format: `length` symbols, each from `alphabet`. */
export interface FormatSlot {
  /** 'digits', 'lower' or 'set'. */
  readonly alphabetName: 'digits' | 'lower' | 'set';
  /** The distinct symbols of the slot, in order; symbol index i means alphabet[i]. */
  readonly alphabet: readonly string[];
  /** Number of symbols in the slot (>= 1). */
  readonly length: number;
}

/**
 * A secret format: fixed text around one or more secret slots, with literal text between them.
 *
 * Syntax:
 *   `{digits:N}`      N symbols from 0-9
 *   `{lower:N}`       N symbols from a-z
 *   `{set:CHARS:N}`   N symbols from the characters of CHARS (Unicode code points; CHARS may
 *                     contain ':' but not '{' or '}'; every character must be distinct)
 *   `{{` and `}}`     a literal '{' and '}' outside a slot
 * Example: `({digits:3}) {digits:3}-{digits:4}` (a phone number) has |R| = 10^10.
 *
 * The secret is the text from the first slot to the end of the last, separators included
 * ('617) 555-1212' above); the prefix before it and the suffix after it are fixed. As a
 * {@link SecretSpace} its positions are the slots' symbols and, between slots, each character
 * of the separator as a one-symbol position.
 */
export interface SecretFormat extends SecretSpace {
  /** The format as the user wrote it. */
  readonly template: string;
  /** Text before the first slot (braces unescaped). */
  readonly prefix: string;
  /** Text after the last slot (braces unescaped). */
  readonly suffix: string;
  /** The slots, in order (at least one). */
  readonly slots: readonly FormatSlot[];
  /** separators[i] = the literal text between slot i and slot i+1 (possibly empty). */
  readonly separators: readonly string[];
}

/**
 * A canary format: a secret format with exactly one slot, the kind planted canaries use. Its
 * slot's fields are repeated at the top level; its positions all share the slot's alphabet.
 * Example: `the random number is {digits:9}` has |R| = 10^9.
 */
export interface CanaryFormat extends SecretFormat, FormatSlot {}

const DIGITS = [...'0123456789'];
const LOWER = [...'abcdefghijklmnopqrstuvwxyz'];

/** Most positions a format may have (slots' symbols and separator characters together). */
export const MAX_FORMAT_POSITIONS = 1000;

/** A template cut into literal texts and slot bodies: literals[i] precedes bodies[i]; one more literal ends it. */
function splitTemplate(template: string): { literals: string[]; bodies: string[] } {
  const literals: string[] = [''];
  const bodies: string[] = [];
  let i = 0;
  while (i < template.length) {
    const c = template[i]!;
    const next = template[i + 1];
    if ((c === '{' && next === '{') || (c === '}' && next === '}')) {
      literals[literals.length - 1] += c;
      i += 2;
      continue;
    }
    if (c === '}') throw new InvalidArgumentError(`canary format '${template}' has an unmatched '}' (write '}}' for a literal brace)`);
    if (c === '{') {
      const close = template.indexOf('}', i + 1);
      if (close < 0) throw new InvalidArgumentError(`canary format '${template}' has an unclosed '{' (write '{{' for a literal brace)`);
      const body = template.slice(i + 1, close);
      if (body.includes('{')) throw new InvalidArgumentError(`canary format '${template}': a secret slot cannot contain '{'`);
      bodies.push(body);
      literals.push('');
      i = close + 1;
      continue;
    }
    literals[literals.length - 1] += c;
    i += 1;
  }
  if (bodies.length === 0) {
    throw new InvalidArgumentError(`canary format '${template}' has no secret slot (write e.g. {digits:9}, {lower:6} or {set:abc:4})`);
  }
  return { literals, bodies };
}

/**
 * Parse a format with one or more slots (natural secrets: a phone number's digit groups and
 * their separators). Throws InvalidArgumentError for a missing slot, empty alphabet, zero
 * length, duplicates, or more than MAX_FORMAT_POSITIONS positions.
 *
 * ```ts
 * import { parseSecretFormat, spaceSize } from 'dp-canary/canary';
 * spaceSize(parseSecretFormat('({digits:3}) {digits:3}-{digits:4}')); // 10000000000n
 * ```
 */
export function parseSecretFormat(template: string): SecretFormat {
  const { literals, bodies } = splitTemplate(template);
  const slots = bodies.map((b) => parseSlot(template, b));
  const separators = literals.slice(1, -1);
  const positions: (readonly string[])[] = [];
  slots.forEach((slot, i) => {
    if (i > 0) for (const ch of separators[i - 1]!) positions.push([ch]);
    for (let k = 0; k < slot.length && positions.length <= MAX_FORMAT_POSITIONS; k++) positions.push(slot.alphabet);
  });
  if (positions.length > MAX_FORMAT_POSITIONS) {
    throw new InvalidArgumentError(`canary format '${template}' has more than ${MAX_FORMAT_POSITIONS} positions (slot symbols and separator characters)`);
  }
  return { template, prefix: literals[0]!, suffix: literals[literals.length - 1]!, slots, separators, positions };
}

/**
 * Parse a format string with exactly one slot (a planted canary's); throws InvalidArgumentError for a missing or second slot, empty alphabet, zero length, duplicates.
 *
 * ```ts
 * import { parseFormat } from 'dp-canary/canary';
 * const format = parseFormat('my pin is {digits:4}');
 * format.prefix; // 'my pin is '
 * format.length; // 4 symbols from format.alphabet, '0123456789'
 * ```
 */
export function parseFormat(template: string): CanaryFormat {
  const { literals, bodies } = splitTemplate(template);
  if (bodies.length > 1) {
    throw new InvalidArgumentError(`canary format '${template}' has two secret slots; exactly one is allowed for a planted canary`);
  }
  const slot = parseSlot(template, bodies[0]!);
  const positions = new Array<readonly string[]>(slot.length).fill(slot.alphabet);
  return { template, prefix: literals[0]!, suffix: literals[1]!, ...slot, slots: [slot], separators: [], positions };
}

function parseSlot(template: string, body: string): FormatSlot {
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

/**
 * |R| = the product over slots of |alphabet|^length, exactly.
 *
 * ```ts
 * import { parseFormat } from 'dp-canary/canary';
 * const format = parseFormat('my pin is {digits:4}');
 * import { spaceSize } from 'dp-canary/canary';
 * spaceSize(format); // 10000n
 * ```
 */
export function spaceSize(format: SecretFormat): bigint {
  let n = 1n;
  for (const slot of format.slots) n *= BigInt(slot.alphabet.length) ** BigInt(slot.length);
  return n;
}

/**
 * log2 |R| in bits (finite even when |R| exceeds 2^53).
 *
 * ```ts
 * import { parseFormat } from 'dp-canary/canary';
 * const format = parseFormat('my pin is {digits:4}');
 * import { log2SpaceSize } from 'dp-canary/canary';
 * log2SpaceSize(format); // 13.29 bits
 * ```
 */
export function log2SpaceSize(format: SecretFormat): number {
  let bits = 0;
  for (const slot of format.slots) bits += slot.length * Math.log2(slot.alphabet.length);
  return bits;
}

/**
 * The full text for a secret (the text from the first slot to the end of the last, separators included).
 *
 * ```ts
 * import { parseFormat } from 'dp-canary/canary';
 * const format = parseFormat('my pin is {digits:4}');
 * import { fillFormat } from 'dp-canary/canary';
 * fillFormat(format, '0042'); // 'my pin is 0042'
 * ```
 */
export function fillFormat(format: SecretFormat, secret: string): string {
  return format.prefix + secret + format.suffix;
}

/**
 * Secret string of symbol indices, one per position (each in [0, |alphabet of that position|)).
 *
 * ```ts
 * import { parseFormat } from 'dp-canary/canary';
 * const format = parseFormat('my pin is {digits:4}');
 * import { secretFromSymbols } from 'dp-canary/canary';
 * secretFromSymbols(format, [0, 0, 4, 2]); // '0042'
 * ```
 */
export function secretFromSymbols(format: SecretFormat, symbols: ArrayLike<number>): string {
  if (format.slots.length > 1) return spaceText(format, symbols);
  let s = '';
  for (let i = 0; i < symbols.length; i++) s += format.positions[0]![symbols[i]!]!;
  return s;
}

/**
 * Symbol indices of a secret string, one per position (separator positions get index 0);
 * throws InvalidArgumentError if it is not a secret of this format.
 *
 * ```ts
 * import { parseFormat } from 'dp-canary/canary';
 * const format = parseFormat('my pin is {digits:4}');
 * import { symbolsFromSecret } from 'dp-canary/canary';
 * symbolsFromSecret(format, '0042'); // Int32Array [0, 0, 4, 2]
 * ```
 */
export function symbolsFromSecret(format: SecretFormat, secret: string): Int32Array {
  if (format.slots.length > 1) return spaceSymbols(format, secret, `format '${format.template}'`);
  const { alphabet, length } = format.slots[0]!;
  const chars = [...secret];
  if (chars.length !== length) {
    throw new InvalidArgumentError(`secret '${secret}' has ${chars.length} symbols; format '${format.template}' needs ${length}`);
  }
  const out = new Int32Array(chars.length);
  chars.forEach((c, i) => {
    const k = alphabet.indexOf(c);
    if (k < 0) throw new InvalidArgumentError(`secret '${secret}' has '${c}', which is not in the alphabet of format '${format.template}'`);
    out[i] = k;
  });
  return out;
}

/**
 * Lexicographic index of a secret in R (first symbol most significant), in [0, |R|).
 * Only for spaces with |R| <= 2^53 (exact enumeration sizes).
 *
 * ```ts
 * import { secretIndex } from 'dp-canary/canary';
 * secretIndex([0, 0, 4, 2], 10); // 42
 * ```
 */
export function secretIndex(symbols: ArrayLike<number>, alphabetSize: number): number {
  let idx = 0;
  for (let i = 0; i < symbols.length; i++) idx = idx * alphabetSize + symbols[i]!;
  return idx;
}

/**
 * Inverse of {@link secretIndex}: the symbols of the index-th secret of R.
 *
 * ```ts
 * import { symbolsFromIndex } from 'dp-canary/canary';
 * symbolsFromIndex(42, 10, 4); // Int32Array [0, 0, 4, 2]
 * ```
 */
export function symbolsFromIndex(index: number, alphabetSize: number, length: number): Int32Array {
  const out = new Int32Array(length);
  let rest = index;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = rest % alphabetSize;
    rest = Math.floor(rest / alphabetSize);
  }
  return out;
}
