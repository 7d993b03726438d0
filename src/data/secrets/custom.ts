/**
 * Secrets of a user-given canary format, e.g. 'my pin is {digits:4}': the format's literal
 * text around one slot of `length` symbols from its alphabet. The found secret's text is the
 * whole match (literal text included) and its format is the user's template, so the candidate
 * space is the format's own. A run of slot symbols that continues past the slot (when the
 * format has no text on that side) is not a match: 'my pin is 12345' holds no 4-digit pin.
 *
 * The format arrives already parsed: this layer may not import the canary parser, and any
 * parsed canary format (canary/format.ts `CanaryFormat`) has this shape.
 */
import type { SecretDetector, SecretMatch } from './detector.js';

/** A canary format with one slot, as parsed (structurally a canary `CanaryFormat`). */
export interface SlotFormat {
  /** The format as written, e.g. 'my pin is {digits:4}'. */
  readonly template: string;
  /** Literal text before and after the slot (braces unescaped). */
  readonly prefix: string;
  readonly suffix: string;
  /** The slot's distinct symbols (single code points). */
  readonly alphabet: readonly string[];
  /** Number of symbols in the slot (>= 1). */
  readonly length: number;
}

/** Escape the regex syntax characters (only those: a unicode regex rejects escapes of others, such as '\\-'). */
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A detector for one user format (kind 'custom'). */
export function customFormatDetector(format: SlotFormat): SecretDetector {
  const symbols = new Set(format.alphabet);
  const symbol = `(?:${format.alphabet.map(escapeRegExp).join('|')})`;
  const re = new RegExp(`${escapeRegExp(format.prefix)}(${symbol}{${format.length}})${escapeRegExp(format.suffix)}`, 'gu');
  const spaceBits = format.length * Math.log2(format.alphabet.length);
  return {
    kind: 'custom',
    find(line: string): SecretMatch[] {
      const out: SecretMatch[] = [];
      re.lastIndex = 0;
      for (let m = re.exec(line); m !== null; m = re.exec(line)) {
        const start = m.index;
        const end = start + m[0].length;
        const beforeOk = format.prefix !== '' || start === 0 || !symbols.has(codePointBefore(line, start));
        const afterOk = format.suffix !== '' || end === line.length || !symbols.has(String.fromCodePoint(line.codePointAt(end)!));
        if (beforeOk && afterOk) {
          out.push({ text: m[0], index: start, format: format.template, spaceBits });
          re.lastIndex = end;
        } else {
          // Retry one code point later (a unicode regex moves an index inside a surrogate pair back to its start).
          re.lastIndex = start + (line.codePointAt(start)! > 0xffff ? 2 : 1);
        }
      }
      return out;
    },
  };
}

/** The code point that ends just before offset i (> 0), a surrogate pair read as one. */
function codePointBefore(text: string, i: number): string {
  const low = text.charCodeAt(i - 1);
  const high = text.charCodeAt(i - 2);
  const pair = low >= 0xdc00 && low <= 0xdfff && high >= 0xd800 && high <= 0xdbff;
  return text.slice(pair ? i - 2 : i - 1, i);
}
