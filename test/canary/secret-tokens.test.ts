import { describe, expect, it } from 'vitest';
import { parseFormat, parseSecretFormat, symbolsFromSecret } from '../../src/canary/format.js';
import { spaceSymbols, spaceText } from '../../src/canary/space.js';
import { canaryTokens, secretTokens } from '../../src/canary/tokens.js';
import { buildCharTokenizer } from '../../src/data/char-tokenizer.js';
import { buildWordTokenizer } from '../../src/data/word-tokenizer.js';
import { InvalidArgumentError } from '../../src/util/errors.js';

const PHONE = parseSecretFormat('({digits:3}) {digits:3}-{digits:4}');
const TEXT = 'call me at (617) 555-1212 or write.\nmy ssn is 123-45-6789.';

describe('secret formats through a tokenizer', () => {
  it('char tokenizer: one position per symbol and per separator character, after the context', () => {
    const char = buildCharTokenizer(TEXT);
    const t = secretTokens(PHONE, char, { before: 'call me at ' });
    expect(t.length).toBe(13);
    expect(t.prefixIds).toEqual(char.encode('call me at ('));
    const symbols = spaceSymbols(t.space, '617) 555-1212', 'the phone space');
    expect(Array.from(symbols)).toEqual(Array.from(symbolsFromSecret(PHONE, '617) 555-1212')));
    // The secret's tokens are exactly the tokenizer's encoding of its text.
    expect(Array.from(symbols, (s, i) => t.positionIds[i]![s]!)).toEqual(char.encode('617) 555-1212'));
    expect(spaceText(t.space, symbols)).toBe('617) 555-1212');
  });

  it('word tokenizer: a separator is one position whose text keeps its spaces', () => {
    const word = buildWordTokenizer(TEXT);
    const t = secretTokens(PHONE, word, { before: 'call me at ' });
    // 3 digits, ') ' as one token, 3 digits, '-', 4 digits
    expect(t.length).toBe(12);
    expect(t.space.positions[3]).toEqual([') ']);
    const symbols = spaceSymbols(t.space, '617) 555-1212', 'the phone space');
    expect(Array.from(symbols, (s, i) => t.positionIds[i]![s]!)).toEqual(word.encode('617) 555-1212'));
    expect(spaceText(t.space, symbols)).toBe('617) 555-1212');
  });

  it('word tokenizer: refuses a separator that is not exactly one token, with a clear message', () => {
    const word = buildWordTokenizer(TEXT);
    expect(() => secretTokens(parseSecretFormat('{digits:3} {digits:4}'), word)).toThrow(/separator ' ' .* as 0 tokens; .*exactly one known token/);
    expect(() => secretTokens(parseSecretFormat('{digits:3}.-{digits:4}'), word)).toThrow(/as 2 tokens/);
    expect(() => secretTokens(parseSecretFormat('{digits:3}#{digits:4}'), word)).toThrow(/an unknown token/);
    expect(() => secretTokens(parseSecretFormat('{digits:3}#{digits:4}'), word)).toThrow(InvalidArgumentError);
  });

  it('char tokenizer: refuses a separator character outside the vocabulary', () => {
    const char = buildCharTokenizer('plain text 0123456789');
    expect(() => secretTokens(PHONE, char)).toThrow(/cannot represent the character '\)' of the separator '\) '/);
  });

  it('refuses symbols that merge with their neighbours or with the text before them', () => {
    const word = buildWordTokenizer('a b c key is - x');
    expect(() => secretTokens(parseSecretFormat('{set:abc:2}-{digits:2}'), word)).toThrow(/reads 'aa'/);
    expect(() => secretTokens(parseSecretFormat('{digits:2}-{set:abc:1}'), word, { before: 'key' })).not.toThrow();
    expect(() => secretTokens(parseSecretFormat('{set:abc:1}-{digits:2}'), word, { before: 'key' })).toThrow(/merges the secret symbol 'a'/);
  });

  it('agrees with canaryTokens on a single-slot canary format', () => {
    const char = buildCharTokenizer(TEXT);
    const f = parseFormat('my pin is {digits:4}');
    const a = canaryTokens(f, char);
    const b = secretTokens(f, char);
    expect(b.prefixIds).toEqual(a.prefixIds);
    expect(b.length).toBe(a.length);
    for (const ids of b.positionIds) expect(Array.from(ids)).toEqual(Array.from(a.symbolIds));
  });
});
