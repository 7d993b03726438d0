import { describe, expect, it } from 'vitest';
import { canaryFormatPattern, sanitizeLines } from '../../src/data/sanitize.js';
import { parseFormat } from '../../src/canary/format.js';
import { loadBrownCorpus } from '../../src/data/brown.js';
import { seededRandom } from '../../src/util/random.js';
import { InvalidArgumentError } from '../../src/util/errors.js';

describe('sanitisation by canary format', () => {
  it('matches every filling of a small format and nothing of another length (brute force)', () => {
    const re = canaryFormatPattern(parseFormat('my pin is {digits:2}.'));
    for (let i = 0; i < 100; i++) expect(re.test(`my pin is ${String(i).padStart(2, '0')}.`)).toBe(true);
    for (let i = 0; i < 10; i++) expect(re.test(`my pin is ${i}.`)).toBe(false);
    for (let i = 100; i < 1000; i += 7) expect(re.test(`my pin is ${i}.`)).toBe(false);
    expect(re.test('my pin isX12.')).toBe(false); // '.' and spaces are literal, not wildcards
    expect(re.test('My  PIN is 42. and more')).toBe(true); // case and whitespace runs are free
  });

  it('rejects formats without a usable slot', () => {
    for (const f of ['no slot', 'a {} b', 'a {digits:3 b', 'a ** } b', '{{digits:3}}', '{digits:0}']) {
      expect(() => canaryFormatPattern(parseFormat(f)), f).toThrow(InvalidArgumentError);
    }
  });

  it('handles slots without prefix or suffix and other alphabets', () => {
    const bare = canaryFormatPattern(parseFormat('{digits:3}'));
    expect(bare.test('call 123 now')).toBe(true);
    expect(bare.test('call 1234 now')).toBe(false);
    const set = canaryFormatPattern(parseFormat('code [{set:x-]:2}]'));
    for (const s of ['xx', 'x-', '-]', ']]']) expect(set.test(`code [${s}]`), s).toBe(true);
    expect(set.test('code [ab]')).toBe(false);
    const lower = canaryFormatPattern(parseFormat('the word is {lower:5}'));
    expect(lower.test('the word is hello')).toBe(true);
    expect(lower.test('the word is hell0')).toBe(false);
  });

  it('removes exactly the canary lines inserted into real text', () => {
    const lines = loadBrownCorpus({ maxChars: 50_000 }).lines;
    const rng = seededRandom(3);
    const withCanaries = [...lines];
    const secrets = ['281265017', '000000001', '999999999'];
    let inserted = 0;
    for (const s of secrets) {
      for (let k = 0; k < 5; k++, inserted++) withCanaries.splice(rng.int(withCanaries.length + 1), 0, `the random number is ${s}`);
    }
    const { kept, removed } = sanitizeLines(withCanaries, parseFormat('the random number is {digits:9}'));
    expect(removed).toBe(inserted);
    expect(kept).toEqual(lines);
  });
});
