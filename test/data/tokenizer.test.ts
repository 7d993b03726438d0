import { describe, expect, it } from 'vitest';
import { buildCharTokenizer, CHAR_UNKNOWN } from '../../src/data/char-tokenizer.js';
import { buildWordTokenizer, splitWords, WORD_UNKNOWN } from '../../src/data/word-tokenizer.js';
import { linesToTokens, newlineId, textToTokens, tokenizerFromJson } from '../../src/data/tokenizer-json.js';
import { loadBrownCorpus } from '../../src/data/brown.js';
import { seededRandom } from '../../src/util/random.js';
import { InvalidArgumentError } from '../../src/util/errors.js';

const brown = loadBrownCorpus({ maxChars: 20_000 }).lines;

describe('character tokenizer', () => {
  it('round-trips text whose characters are in the vocabulary', () => {
    const tok = buildCharTokenizer(brown);
    for (const line of brown.slice(0, 50)) expect(tok.decode(tok.encode(line))).toBe(line);
    expect(tok.vocabSize).toBe(new Set([...brown.join(''), ...'\n 0123456789abcdefghijklmnopqrstuvwxyz']).size + 1);
  });

  it('always holds digits, lowercase letters, space and newline, even when the text has none', () => {
    const tok = buildCharTokenizer('XYZ');
    for (const ch of '0123456789abcdefghijklmnopqrstuvwxyz \n') expect(tok.idOf(ch)).toBeTypeOf('number');
    expect(tok.encode('281265017').length).toBe(9);
    expect(tok.decode(tok.encode('the number is 281265017'))).toBe('the number is 281265017');
  });

  it('keeps the most frequent characters under a vocabulary limit and maps the rest to unknown', () => {
    const text = 'aaaa' + 'Q'.repeat(5) + 'W'.repeat(3) + 'E';
    const always = 1 + 1 + 1 + 10 + 26; // unknown, newline, space, digits, lowercase letters
    const tok = buildCharTokenizer(text, { maxVocab: always + 1 });
    expect(tok.vocabSize).toBe(always + 1);
    expect(tok.idOf('Q')).toBeTypeOf('number'); // most frequent extra character
    expect(tok.idOf('W')).toBeUndefined();
    expect(tok.encode('W')).toEqual([tok.unknownId]);
    expect(tok.decode(tok.encode('QW'))).toBe('Q' + CHAR_UNKNOWN);
    expect(() => buildCharTokenizer(text, { maxVocab: 10 })).toThrow(InvalidArgumentError);
  });

  it('lowercases when asked, in encode and idOf', () => {
    const tok = buildCharTokenizer(brown, { lowercase: true });
    expect(tok.idOf('T')).toBe(tok.idOf('t'));
    expect(tok.decode(tok.encode('The Jury'))).toBe('the jury');
    expect(tok.symbols.every((s) => s === s.toLowerCase())).toBe(true);
  });

  it('restores from JSON exactly and rejects damaged JSON', () => {
    const tok = buildCharTokenizer(brown, { lowercase: true, maxVocab: 50 });
    const back = tokenizerFromJson(JSON.parse(JSON.stringify(tok.toJSON())));
    expect(back.kind).toBe('char');
    expect(back.vocabSize).toBe(tok.vocabSize);
    expect(back.encode(brown[3]!)).toEqual(tok.encode(brown[3]!));
    const json = tok.toJSON();
    expect(() => tokenizerFromJson({ ...json, symbols: json.symbols.filter((s) => s !== '7') })).toThrow(InvalidArgumentError);
    expect(() => tokenizerFromJson({ ...json, symbols: [...json.symbols, 'a'] })).toThrow(/duplicates/);
    expect(() => tokenizerFromJson({ ...json, kind: 'bpe' })).toThrow(InvalidArgumentError);
    expect(() => tokenizerFromJson('nope')).toThrow(InvalidArgumentError);
    expect(() => tokenizerFromJson({ ...json, symbols: [...json.symbols, 'ab'] })).toThrow(/longer than one/);
  });
});

describe('word tokenizer', () => {
  it('splits numbers into single digits: a 9-digit secret is 9 tokens', () => {
    expect(splitWords('The number is 281265017.')).toEqual(['The', 'number', 'is', ...'281265017', '.']);
    const tok = buildWordTokenizer(brown);
    const ids = tok.encode('the random number is 281265017');
    expect(ids.length).toBe(4 + 9);
    for (const d of '0123456789') expect(tok.idOf(d)).toBeTypeOf('number');
    expect(ids.slice(4)).toEqual([...'281265017'].map((d) => tok.idOf(d)));
  });

  it('lowercases words, keeps punctuation as tokens and fixes spacing on decode', () => {
    const tok = buildWordTokenizer(brown);
    const line = 'The jury said, "the election (in Atlanta) cost $5.50."';
    expect(tok.decode(tok.encode(line))).toBe('the jury said, " the election (in atlanta) cost $5.50. "');
    expect(tok.decode(tok.encode('a\nb'))).toBe('a\nb');
  });

  it('decode then encode gives random id sequences back (no <unk>)', () => {
    const tok = buildWordTokenizer(brown);
    const rng = seededRandom('word-roundtrip');
    for (let trial = 0; trial < 200; trial++) {
      const ids = Array.from({ length: 1 + rng.int(30) }, () => 1 + rng.int(tok.vocabSize - 1));
      expect(tok.encode(tok.decode(ids))).toEqual(ids);
    }
  });

  it('maps words outside the vocabulary limit to <unk> and keeps required words', () => {
    const tok = buildWordTokenizer(brown, { maxVocab: 40, required: ['the random number is'] });
    expect(tok.vocabSize).toBe(40);
    for (const w of ['the', 'random', 'number', 'is']) expect(tok.idOf(w)).toBeTypeOf('number');
    expect(tok.encode('zyzzyva')).toEqual([tok.unknownId]);
    expect(tok.decode([tok.unknownId])).toBe(WORD_UNKNOWN);
    expect(() => buildWordTokenizer(brown, { maxVocab: 5 })).toThrow(InvalidArgumentError);
  });

  it('restores from JSON', () => {
    const tok = buildWordTokenizer(brown, { maxVocab: 300 });
    const back = tokenizerFromJson(JSON.parse(JSON.stringify(tok.toJSON())));
    expect(back.kind).toBe('word');
    for (const l of brown.slice(0, 20)) expect(back.encode(l)).toEqual(tok.encode(l));
    const json = tok.toJSON();
    expect(() => tokenizerFromJson({ ...json, symbols: json.symbols.slice(1) })).toThrow(InvalidArgumentError);
  });
});

describe('token streams', () => {
  it('ends every line with the newline token', () => {
    for (const tok of [buildCharTokenizer(brown), buildWordTokenizer(brown)]) {
      const lines = brown.slice(0, 30);
      const stream = linesToTokens(lines, tok);
      const nl = newlineId(tok);
      expect(Array.from(stream).filter((t) => t === nl).length).toBe(lines.length);
      expect(stream[stream.length - 1]).toBe(nl);
      expect(Array.from(stream)).toEqual(lines.flatMap((l) => [...tok.encode(l), nl]));
      // A raw text with '\n' separators gives the same stream.
      expect(Array.from(textToTokens(lines.join('\n') + '\n', tok))).toEqual(Array.from(stream));
    }
  });
});
