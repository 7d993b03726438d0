import { describe, expect, it } from 'vitest';
import { BigramScorer } from './bigram-scorer.js';
import { measureNaturalSecret, type NaturalSecretExposure } from '../../src/canary/natural.js';
import { prepareSecret, scoringContexts } from '../../src/canary/natural-context.js';
import { parseSecretFormat } from '../../src/canary/format.js';
import { positionSizes, sampleSpace, spaceText, symbolsAtIndex } from '../../src/canary/space.js';
import { buildCharTokenizer } from '../../src/data/char-tokenizer.js';
import { buildWordTokenizer } from '../../src/data/word-tokenizer.js';
import type { NaturalSecret, SecretOccurrence } from '../../src/data/secrets/types.js';
import { InvalidArgumentError } from '../../src/util/errors.js';
import { seededRandom } from '../../src/util/random.js';

const TEXT = 'call me at (617) 555-1212 or my pin: 47-19.\nabcdefghijklmnopqrstuvwxyz 0123456789 ,;';
const char = buildCharTokenizer(TEXT);
const FORMAT = '{digits:2}-{digits:2}';
const SECRET = '47-19';

const occ = (context: string, document: string, extra: Partial<SecretOccurrence> = {}): SecretOccurrence => ({
  document,
  user: `${document}@example.com`,
  line: 1,
  column: 0,
  context,
  ...extra,
});

function natural(text: string, format: string, occurrences: SecretOccurrence[], kind: NaturalSecret['kind'] = 'custom'): NaturalSecret {
  return { kind, text, format, spaceBits: 0, occurrences, documents: new Set(occurrences.map((o) => o.document)).size, users: 1 };
}

/**
 * A bigram model that has memorized the secret after ':' (not after ' '): a logit bonus on each
 * of its transitions, and `entry` on ':' -> '4'. Logits otherwise pseudo-random and smooth.
 */
function memorizing(bonus: number, entry = bonus): BigramScorer {
  const id = (c: string): number => char.idOf(c)!;
  const boosted = new Set([`${id('4')},${id('7')}`, `${id('7')},${id('-')}`, `${id('-')},${id('1')}`, `${id('1')},${id('9')}`]);
  const entryPair = `${id(':')},${id('4')}`;
  return new BigramScorer(char.vocabSize, (p, v) => Math.sin(1.3 * p + 0.7 * v * v + 0.11 * v) + (boosted.has(`${p},${v}`) ? bonus : 0) + (`${p},${v}` === entryPair ? entry : 0));
}

/** Every candidate of '{digits:2}-{digits:2}' scored on its own by the closed form; the secret's exact rank. */
function bruteRank(scorer: BigramScorer, before: string, secret: string): { rank: number; all: number[] } {
  const prefix = char.encode(before);
  const f = parseSecretFormat(FORMAT);
  const sizes = positionSizes(f);
  const all: number[] = [];
  for (let i = 0; i < 10_000; i++) all.push(scorer.bits(prefix, char.encode(spaceText(f, symbolsAtIndex(sizes, i)))));
  const mine = scorer.bits(prefix, char.encode(secret));
  return { rank: all.filter((b) => b <= mine).length, all };
}

describe('exposure of a natural secret in its contexts', () => {
  it('exact: the rank in each context is the brute-force rank, and the best context is reported', async () => {
    const scorer = memorizing(1.5, 4);
    const secret = natural(SECRET, FORMAT, [occ('call me at ', 'm1'), occ('my pin:', 'm2'), occ('or', 'm3'), occ('pin:', 'm4')]);
    const r = (await measureNaturalSecret(scorer, char, secret, { extraction: { maxQueries: 10_000 } })) as NaturalSecretExposure;
    expect(r.testable).toBe(true);
    expect(r.method).toBe('exact');
    expect(r.estimated).toBe(false);
    expect(r.log2R).toBeCloseTo(Math.log2(1e4), 12);
    // Default: the first 3 occurrences.
    expect(r.contexts.map((c) => c.occurrence)).toEqual([0, 1, 2]);
    for (const c of r.contexts) {
      const { rank } = bruteRank(scorer, c.text, SECRET);
      expect(c.rank).toBe(rank);
      expect(c.exposure).toBeCloseTo(Math.log2(1e4) - Math.log2(rank), 12);
      expect(c.logPerplexityBits).toBe(scorer.bits(char.encode(c.text), char.encode(SECRET)));
    }
    // After ':' the secret is memorized: the best context, with the largest exposure.
    expect(r.bestContext).toBe(1);
    expect(r.exposure).toBe(Math.max(...r.contexts.map((c) => c.exposure)));
    expect(r.contexts[1]!.rank).toBe(1);
    expect(Math.min(r.contexts[0]!.rank!, r.contexts[2]!.rank!)).toBeGreaterThan(10);
    expect(r.contexts[1]).toMatchObject({ document: 'm2', user: 'm2@example.com', text: 'my pin:', unknownTokens: 0 });
    // Extraction from the best context finds it first.
    expect(r.extraction).toMatchObject({ extracted: true, rank: 1, context: 1, topK: 10, stopped: 'found' });
    // Fewer queries than a brute-force walk of the tree (10 + 100 + 100 + 1000 rows).
    expect(r.extraction!.queries).toBeLessThan(1210);
    expect(scorer.live).toBe(0);
  });

  it('scores only the first K occurrences, in the documents given', async () => {
    const scorer = memorizing(3);
    const secret = natural(SECRET, FORMAT, [occ('call me at ', 'm1'), occ('my pin:', 'm2'), occ('or', 'm3'), occ('pin:', 'm4')]);
    const one = (await measureNaturalSecret(scorer, char, secret, { contexts: 1 })) as NaturalSecretExposure;
    expect(one.contexts.map((c) => c.occurrence)).toEqual([0]);
    expect(one.extraction).toBeNull();
    const some = (await measureNaturalSecret(scorer, char, secret, { contexts: 2, documents: new Set(['m3', 'm4']) })) as NaturalSecretExposure;
    expect(some.contexts.map((c) => c.occurrence)).toEqual([2, 3]);
    const none = await measureNaturalSecret(scorer, char, secret, { documents: new Set(['other']) });
    expect(none).toEqual({ testable: false, reason: expect.stringMatching(/none of its occurrences is in the documents measured/) });
    await expect(measureNaturalSecret(scorer, char, secret, { contexts: 0 })).rejects.toThrow(InvalidArgumentError);
  });

  it('estimated: the interpolation is the rank among the same seeded sample of R, scored by the closed form', async () => {
    const scorer = memorizing(0.5);
    const secret = natural('30-85', FORMAT, [occ('call me at ', 'm1'), occ('my pin:', 'm2')]);
    const N = 3000;
    const r = (await measureNaturalSecret(scorer, char, secret, { maxExactSpace: 9999, references: N, random: seededRandom('refs'), exactWalkRows: 0 })) as NaturalSecretExposure;
    expect(r).toMatchObject({ testable: true, estimated: true, method: 'extrapolation', references: N });
    const f = parseSecretFormat(FORMAT);
    const sizes = positionSizes(f);
    const refs = sampleSpace(seededRandom('refs'), sizes, N);
    for (const c of r.contexts) {
      const prefix = char.encode(c.text);
      const mine = scorer.bits(prefix, char.encode('30-85'));
      let below = 0;
      for (let i = 0; i < N; i++) if (scorer.bits(prefix, char.encode(spaceText(f, refs.subarray(i * 5, i * 5 + 5)))) <= mine) below++;
      expect(c.interpolation).toBeCloseTo(Math.log2(N) - Math.log2(1 + below), 12);
      expect(c.exposure).toBe(c.extrapolation);
      expect(c.method).toBe('extrapolation');
      expect(c.rank).toBeUndefined();
      // Both estimates land near the exact exposure of this unremarkable secret.
      const exact = Math.log2(1e4) - Math.log2(bruteRank(scorer, c.text, '30-85').rank);
      expect(Math.abs(c.interpolation! - exact)).toBeLessThan(0.3);
      expect(Math.abs(c.extrapolation! - exact)).toBeLessThan(1);
    }
  });

  it('above the exact limit, a short walk ranks a memorized secret exactly; an unremarkable one keeps its estimate', async () => {
    const scorer = memorizing(1.5, 4);
    const opts = { maxExactSpace: 100, references: 500, exactWalkRows: 300 };
    const memorized = (await measureNaturalSecret(scorer, char, natural(SECRET, FORMAT, [occ('my pin:', 'm1')]), opts)) as NaturalSecretExposure;
    expect(memorized).toMatchObject({ method: 'exact', estimated: false, references: 500 });
    const c = memorized.contexts[0]!;
    expect(c.rank).toBe(bruteRank(scorer, 'my pin:', SECRET).rank);
    expect(c.exposure).toBeCloseTo(Math.log2(1e4) - Math.log2(c.rank!), 12);
    // The estimates are kept beside the exact value; the sample of 500 caps interpolation at log2 500.
    expect(c.interpolation).toBeLessThanOrEqual(Math.log2(500));
    expect(c.extrapolation).not.toBeNull();
    const plain = (await measureNaturalSecret(scorer, char, natural('30-85', FORMAT, [occ('my pin:', 'm1')]), opts)) as NaturalSecretExposure;
    expect(plain).toMatchObject({ method: 'extrapolation', estimated: true });
    expect(plain.contexts[0]!.rank).toBeUndefined();
    // When the sample puts the rank far out of the walk's reach, no walk is tried: only the
    // references and the secret are scored (5 positions: 4 rows each).
    const before = scorer.rows;
    const far = (await measureNaturalSecret(scorer, char, natural('30-85', FORMAT, [occ('my pin:', 'm1')]), { ...opts, exactWalkRows: 5 })) as NaturalSecretExposure;
    expect(far.method).toBe('extrapolation');
    expect(scorer.rows - before).toBe((500 + 1) * 4);
    // With a budget large enough for the whole tree (1210 rows), every secret is ranked exactly.
    const all = (await measureNaturalSecret(scorer, char, natural('30-85', FORMAT, [occ('my pin:', 'm1')]), { ...opts, exactWalkRows: 1210 + 4 })) as NaturalSecretExposure;
    expect(all.contexts[0]!.rank).toBe(bruteRank(scorer, 'my pin:', '30-85').rank);
  });

  it('extraction fails for a secret the model has not memorized, within the budget', async () => {
    const scorer = memorizing(0);
    const secret = natural('30-85', FORMAT, [occ('my pin:', 'm1')]);
    const r = (await measureNaturalSecret(scorer, char, secret, { extraction: { maxQueries: 300, topK: 5 } })) as NaturalSecretExposure;
    expect(r.extraction).toMatchObject({ extracted: false, topK: 5, maxQueries: 300 });
    expect(r.extraction!.rank).toBeUndefined();
    expect(r.extraction!.queries).toBeLessThanOrEqual(300);
  });

  it('reports context characters outside the vocabulary as unknown tokens', async () => {
    const secret = natural(SECRET, FORMAT, [occ('Ünïcödé pin:', 'm1')]);
    const r = (await measureNaturalSecret(memorizing(1), char, secret)) as NaturalSecretExposure;
    // 'Ü', 'ï', 'ö' and 'é' are not in the vocabulary built from TEXT.
    expect(r.contexts[0]!.unknownTokens).toBe(4);
    expect(r.notes.join(' ')).toMatch(/outside the tokenizer's vocabulary/);
  });

  it('a secret the tokenizer or its format cannot represent is not testable, with the reason', async () => {
    const s = memorizing(1);
    const notFitting = await measureNaturalSecret(s, char, natural('4719', FORMAT, [occ('x', 'm1')]));
    expect(notFitting).toMatchObject({ testable: false, reason: expect.stringMatching(/does not fit its format/) });
    const badPrefix = await measureNaturalSecret(s, char, natural('47-19', `(${FORMAT}`, [occ('x', 'm1')]));
    expect(badPrefix).toMatchObject({ testable: false, reason: expect.stringMatching(/does not start with '\('/) });
    const noSeparator = await measureNaturalSecret(s, char, natural('47#19', '{digits:2}#{digits:2}', [occ('x', 'm1')]));
    expect(noSeparator).toMatchObject({ testable: false, reason: expect.stringMatching(/cannot represent the character '#'/) });
    const noOccurrences = await measureNaturalSecret(s, char, natural(SECRET, FORMAT, []));
    expect(noOccurrences).toEqual({ testable: false, reason: 'it has no occurrences' });
    await expect(measureNaturalSecret(s, char, natural(SECRET, '{digits:2', [occ('x', 'm1')]))).rejects.toThrow(InvalidArgumentError);
  });

  it('a context that starts its document is preceded by a line break', () => {
    const secret = natural(SECRET, FORMAT, [occ('pin:', 'm1', { line: 0, column: 4 }), occ('pin:', 'm2', { line: 0, column: 9 })]);
    const prepared = prepareSecret(secret, char);
    if (!prepared.testable) throw new Error(prepared.reason);
    const [first, second] = scoringContexts(secret, prepared, char, 3);
    expect(first!.prefixIds).toEqual(char.encode('\npin:'));
    expect(second!.prefixIds).toEqual(char.encode('pin:'));
  });

  it('a word tokenizer tests a phone number whose separators are single tokens', async () => {
    const word = buildWordTokenizer(TEXT);
    const scorer = new BigramScorer(word.vocabSize, (p, v) => Math.cos(0.9 * p + 0.4 * v));
    const phone = natural('(617) 555-1212', '({digits:3}) {digits:3}-{digits:4}', [occ('call me at ', 'm1')], 'phone');
    const r = (await measureNaturalSecret(scorer, word, phone, { references: 200 })) as NaturalSecretExposure;
    expect(r).toMatchObject({ testable: true, estimated: true, references: 200 });
    expect(r.contexts[0]!.logPerplexityBits).toBe(scorer.bits(word.encode('call me at ('), word.encode('617) 555-1212')));
    const spaced = await measureNaturalSecret(scorer, word, natural('617 555 1212', '{digits:3} {digits:3} {digits:4}', [occ('x', 'm1')], 'phone'));
    expect(spaced).toMatchObject({ testable: false, reason: expect.stringMatching(/exactly one known token/) });
  });
});
