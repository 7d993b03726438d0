import { describe, expect, it } from 'vitest';
import {
  fillFormat,
  log2SpaceSize,
  parseFormat,
  secretFromSymbols,
  secretIndex,
  spaceSize,
  symbolsFromIndex,
  symbolsFromSecret,
} from '../../src/canary/format.js';
import { InvalidArgumentError } from '../../src/util/errors.js';

describe('canary format', () => {
  it('parses digits, lower and user sets, with |R| = |alphabet|^length', () => {
    const d = parseFormat('the random number is {digits:9}');
    expect(d).toMatchObject({ prefix: 'the random number is ', suffix: '', alphabetName: 'digits', length: 9 });
    expect(d.alphabet.join('')).toBe('0123456789');
    expect(spaceSize(d)).toBe(10n ** 9n);
    expect(log2SpaceSize(d)).toBeCloseTo(9 * Math.log2(10), 12);
    const l = parseFormat('my name is {lower:6}.');
    expect(l.alphabet.length).toBe(26);
    expect(l.suffix).toBe('.');
    expect(spaceSize(l)).toBe(26n ** 6n);
    const s = parseFormat('pin {set:a:b:3} end');
    expect(s.alphabet).toEqual(['a', ':', 'b']);
    expect(spaceSize(s)).toBe(27n);
  });

  it('keeps |R| exact beyond 2^53', () => {
    const f = parseFormat('{lower:20}');
    expect(spaceSize(f)).toBe(26n ** 20n);
    expect(spaceSize(f) > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
    expect(log2SpaceSize(f)).toBeCloseTo(20 * Math.log2(26), 10);
  });

  it('unescapes doubled braces around the slot', () => {
    const f = parseFormat('{{id}} {digits:2} }}x');
    expect(f.prefix).toBe('{id} ');
    expect(f.suffix).toBe(' }x');
    expect(fillFormat(f, '07')).toBe('{id} 07 }x');
  });

  it('rejects bad formats with one clear InvalidArgumentError', () => {
    const bad: Array<[string, RegExp]> = [
      ['no slot here', /no secret slot/],
      ['{digits:3} and {digits:4}', /two secret slots/],
      ['{set::4}', /empty/],
      ['{digits:0}', /at least 1/],
      ['{set:abca:2}', /repeats 'a'/],
      ['{upper:3}', /unknown alphabet/],
      ['{digits}', /needs a length/],
      ['{digits:x}', /whole number/],
      ['{digits:3', /unclosed/],
      ['a } b {digits:2}', /unmatched/],
      ['{digits:3:4}', /must be \{digits:N\}/],
    ];
    for (const [text, re] of bad) {
      expect(() => parseFormat(text)).toThrow(InvalidArgumentError);
      expect(() => parseFormat(text)).toThrow(re);
    }
  });

  it('maps secrets to symbols and lexicographic indices and back', () => {
    const f = parseFormat('{set:xyz:4}');
    const sym = symbolsFromSecret(f, 'zyxz');
    expect(Array.from(sym)).toEqual([2, 1, 0, 2]);
    expect(secretFromSymbols(f, sym)).toBe('zyxz');
    expect(secretIndex(sym, 3)).toBe(2 * 27 + 1 * 9 + 0 * 3 + 2);
    for (let i = 0; i < 81; i += 5) expect(secretIndex(symbolsFromIndex(i, 3, 4), 3)).toBe(i);
    expect(() => symbolsFromSecret(f, 'xyz')).toThrow(InvalidArgumentError);
    expect(() => symbolsFromSecret(f, 'xyza')).toThrow(/not in the alphabet/);
  });
});
