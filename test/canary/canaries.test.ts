import { describe, expect, it } from 'vitest';
import { parseFormat, symbolsFromSecret } from '../../src/canary/format.js';
import { generateCanaries } from '../../src/canary/generate.js';
import { insertCanaries } from '../../src/canary/insert.js';
import { manifestFromJson, manifestToJson } from '../../src/canary/manifest.js';
import { canaryTokens } from '../../src/canary/tokens.js';
import { buildCharTokenizer } from '../../src/data/char-tokenizer.js';
import { buildWordTokenizer } from '../../src/data/word-tokenizer.js';
import { seededRandom } from '../../src/util/random.js';
import { InvalidArgumentError } from '../../src/util/errors.js';

const COUNTS = [1, 2, 4, 8, 16, 32];

describe('canary generation and insertion', () => {
  it('draws distinct secrets of the format, reproducibly from a seed', () => {
    const f = parseFormat('the random number is {digits:6}');
    const a = generateCanaries(f, COUNTS, seededRandom(1));
    const b = generateCanaries(f, COUNTS, seededRandom(1));
    expect(a).toEqual(b);
    expect(new Set(a.map((c) => c.secret)).size).toBe(COUNTS.length);
    a.forEach((c, i) => {
      expect(c.insertions).toBe(COUNTS[i]);
      expect(c.text).toBe(`the random number is ${c.secret}`);
      expect(symbolsFromSecret(f, c.secret).length).toBe(6);
    });
  });

  it('never collides with another canary or with text already in the corpus', () => {
    // |R| = 4: asking for all four secrets forces redraws on every collision.
    const f = parseFormat('k {set:ab:2}');
    for (let seed = 0; seed < 20; seed++) {
      // Only 'aa' and 'bb' are free.
      const c = generateCanaries(f, [1, 1], seededRandom(seed), { corpus: ['x k ab y', 'k ba'] });
      expect(c.map((x) => x.secret).sort()).toEqual(['aa', 'bb']);
    }
    expect(() => generateCanaries(f, [1, 1, 1, 1, 1], seededRandom(0))).toThrow(/only 4 secrets/);
    expect(() => generateCanaries(f, [1, 1], seededRandom(0), { corpus: 'k aa k ab k ba' })).toThrow(InvalidArgumentError);
    expect(() => generateCanaries(f, [0], seededRandom(0))).toThrow(/integer >= 1/);
  });

  it('inserts each copy as its own line at recorded positions, keeping the corpus order', () => {
    const f = parseFormat('my pin is {digits:4}');
    const lines = Array.from({ length: 200 }, (_, i) => `line ${i}`);
    const canaries = generateCanaries(f, COUNTS, seededRandom('gen'), { corpus: lines });
    const { corpus, manifest } = insertCanaries(lines, f, canaries, seededRandom('ins'));
    expect(corpus.length).toBe(200 + 63);
    expect(manifest.corpusUnits).toBe(263);
    expect(manifest.randomSource).toBe('seeded');
    const all = new Set<number>();
    manifest.canaries.forEach((c, k) => {
      expect(c.positions.length).toBe(COUNTS[k]);
      for (const p of c.positions) {
        expect(corpus[p]).toBe(c.text);
        all.add(p);
      }
      // Each canary occurs exactly at its positions.
      expect(corpus.filter((l) => l === c.text).length).toBe(COUNTS[k]);
    });
    expect(all.size).toBe(63);
    expect(corpus.filter((_, i) => !all.has(i))).toEqual(lines);
    // A string corpus gets its lines back as a string.
    const text = insertCanaries(lines.join('\n'), f, canaries, seededRandom('ins'));
    expect(text.corpus).toBe(corpus.join('\n'));
  });

  it('places copies uniformly (every slot equally likely over many seeds)', () => {
    const f = parseFormat('{digits:3}');
    const counts = new Array<number>(11).fill(0);
    const trials = 4000;
    const lines = Array.from({ length: 10 }, (_, i) => `l${i}`);
    const canary = generateCanaries(f, [1], seededRandom('u'));
    for (let t = 0; t < trials; t++) {
      const { manifest } = insertCanaries(lines, f, canary, seededRandom(`u${t}`));
      counts[manifest.canaries[0]!.positions[0]!]! += 1;
    }
    // Chi-square with 10 degrees of freedom; 29.6 is the 0.999 quantile.
    const e = trials / 11;
    const chi2 = counts.reduce((s, c) => s + (c - e) ** 2 / e, 0);
    expect(chi2).toBeLessThan(29.6);
  });

  it('manifests round-trip through JSON and damaged ones are rejected', () => {
    const f = parseFormat('id {lower:5}');
    const canaries = generateCanaries(f, [1, 3], seededRandom(3));
    const { manifest } = insertCanaries(['a', 'b', 'c'], f, canaries, seededRandom(4));
    const json = manifestToJson(manifest);
    expect(manifestFromJson(json)).toEqual(manifest);
    const raw = JSON.parse(json) as { canaries: Array<Record<string, unknown>>; [k: string]: unknown };
    const broken = (edit: (m: typeof raw) => void): string => {
      const m = JSON.parse(json) as typeof raw;
      edit(m);
      return JSON.stringify(m);
    };
    const cases = [
      'not json',
      broken((m) => (m['type'] = 'other')),
      broken((m) => (m['format'] = 'no slot')),
      broken((m) => (m.canaries[0]!['secret'] = 'abc')),
      broken((m) => (m.canaries[0]!['text'] = 'id zzzzz')),
      broken((m) => (m.canaries[1]!['name'] = m.canaries[0]!['name'])),
      broken((m) => (m.canaries[1]!['positions'] = [0, 1])),
      broken((m) => (m.canaries[0]!['positions'] = [99])),
      broken((m) => (m['randomSource'] = 'math.random')),
    ];
    for (const c of cases) expect(() => manifestFromJson(c)).toThrow(InvalidArgumentError);
    expect(raw.canaries.length).toBe(2);
  });
});

describe('tokenizer bridge', () => {
  it('maps each symbol to one distinct token (char level: characters; word level: digits)', () => {
    const text = 'the random number is 123 and more text';
    const char = buildCharTokenizer(text);
    const f = parseFormat('the random number is {digits:9}');
    const t = canaryTokens(f, char);
    expect(t.prefixIds).toEqual(char.encode('the random number is '));
    expect(Array.from(t.symbolIds)).toEqual([...'0123456789'].map((d) => char.idOf(d)));
    expect(new Set(t.symbolIds).size).toBe(10);
    const word = buildWordTokenizer(text);
    const w = canaryTokens(f, word);
    expect(Array.from(w.symbolIds)).toEqual([...'0123456789'].map((d) => word.idOf(d)));
    // The full canary is the prefix's tokens followed by one token per digit.
    expect(word.encode('the random number is 905')).toEqual([...w.prefixIds, ...[9, 0, 5].map((d) => w.symbolIds[d]!)]);
    expect(canaryTokens(parseFormat('{lower:3}'), char).symbolIds.length).toBe(26);
  });

  it('rejects formats the tokenizer cannot score symbol by symbol', () => {
    const word = buildWordTokenizer('a b c the key is');
    // Letters join into one word-level token.
    expect(() => canaryTokens(parseFormat('the key is {set:abc:3}'), word)).toThrow(/reads 'aa'/);
    // A symbol missing from the vocabulary.
    const char = buildCharTokenizer('abc');
    expect(() => canaryTokens(parseFormat('{set:ab#:2}'), char)).toThrow(/no single token for the secret symbol '#'/);
    // Lowercasing merges two symbols into one token.
    const lower = buildCharTokenizer('abc', { lowercase: true });
    expect(() => canaryTokens(parseFormat('{set:aA:2}'), lower)).toThrow(/same token/);
    // At word level a letter right after a letter of the prefix merges with it.
    const w2 = buildWordTokenizer('code a b');
    expect(() => canaryTokens(parseFormat('code{set:ab:1}'), w2)).toThrow(/merges/);
  });
});
