import { describe, expect, it } from 'vitest';
import { ToyScorer } from './toy-scorer.js';
import {
  fillFormat,
  log2SpaceSize,
  parseFormat,
  parseSecretFormat,
  secretFromSymbols,
  spaceSize,
  symbolsFromSecret,
} from '../../src/canary/format.js';
import { positionSizes, productOfSizes, sampleSpace, spaceCount, spaceIndex, symbolsAtIndex } from '../../src/canary/space.js';
import { closeSecretModel, openSecretModel, openSpaceModel, scoreSecrets } from '../../src/canary/secret-model.js';
import { enumerateLogPerplexities, exactExposures } from '../../src/canary/exact.js';
import { extractSecrets, extractionOutcome } from '../../src/canary/extract.js';
import { InvalidArgumentError } from '../../src/util/errors.js';
import { seededRandom } from '../../src/util/random.js';

describe('formats with several slots', () => {
  it('parse a phone number: prefix, slots, separators, one position per symbol and separator character', () => {
    const f = parseSecretFormat('({digits:3}) {digits:3}-{digits:4}');
    expect(f.prefix).toBe('(');
    expect(f.suffix).toBe('');
    expect(f.separators).toEqual([') ', '-']);
    expect(f.slots.map((s) => s.length)).toEqual([3, 3, 4]);
    // 3 digits, ')', ' ', 3 digits, '-', 4 digits
    expect(positionSizes(f)).toEqual([10, 10, 10, 1, 1, 10, 10, 10, 1, 10, 10, 10, 10]);
    expect(spaceSize(f)).toBe(10n ** 10n);
    expect(spaceCount(f)).toBe(10n ** 10n);
    expect(log2SpaceSize(f)).toBeCloseTo(10 * Math.log2(10), 12);
    const sym = symbolsFromSecret(f, '617) 555-1212');
    expect(Array.from(sym)).toEqual([6, 1, 7, 0, 0, 5, 5, 5, 0, 1, 2, 1, 2]);
    expect(secretFromSymbols(f, sym)).toBe('617) 555-1212');
    expect(fillFormat(f, '617) 555-1212')).toBe('(617) 555-1212');
  });

  it('mixes alphabets and counts |R| as the product of the slots', () => {
    const f = parseSecretFormat('id {lower:2}{digits:1}.{set:xy:3} end');
    expect(spaceSize(f)).toBe(26n * 26n * 10n * 8n);
    expect(log2SpaceSize(f)).toBeCloseTo(2 * Math.log2(26) + Math.log2(10) + 3, 12);
    expect(f.suffix).toBe(' end');
    expect(symbolsFromSecret(f, 'qz7.yxy')).toEqual(Int32Array.of(16, 25, 7, 0, 1, 0, 1));
    expect(() => symbolsFromSecret(f, 'qz7-yxy')).toThrow(/at character 3 it has '-' where '\.' is needed/);
    expect(() => symbolsFromSecret(f, 'qz7.yx')).toThrow(InvalidArgumentError);
    expect(() => symbolsFromSecret(f, 'qz7.yxyy')).toThrow(/longer/);
  });

  it('a one-slot format parses the same way as a planted canary format', () => {
    const a = parseSecretFormat('pin {digits:4}!');
    const b = parseFormat('pin {digits:4}!');
    expect(a.positions).toEqual(b.positions);
    expect([a.prefix, a.suffix, spaceSize(a), log2SpaceSize(a)]).toEqual([b.prefix, b.suffix, spaceSize(b), log2SpaceSize(b)]);
  });

  it('planted canaries keep exactly one slot', () => {
    expect(() => parseFormat('{digits:3}-{digits:4}')).toThrow(/two secret slots/);
    expect(() => parseSecretFormat('no slot')).toThrow(/no secret slot/);
    expect(() => parseSecretFormat('{digits:600}-{digits:600}')).toThrow(/more than 1000 positions/);
  });

  it('mixed-radix indices count R in lexicographic order and round-trip', () => {
    const sizes = [3, 1, 2, 1, 4];
    let counter = 0;
    for (let a = 0; a < 3; a++) {
      for (let b = 0; b < 2; b++) {
        for (let c = 0; c < 4; c++) {
          const symbols = [a, 0, b, 0, c];
          expect(spaceIndex(sizes, symbols)).toBe(counter);
          expect(Array.from(symbolsAtIndex(sizes, counter))).toEqual(symbols);
          counter++;
        }
      }
    }
    expect(productOfSizes(sizes)).toBe(counter);
    // All positions of one size: exactly A ** L, as the single-slot code computed it.
    expect(productOfSizes(new Array<number>(20).fill(26))).toBe(26 ** 20);
  });

  it('samples each varying position uniformly and leaves separators at symbol 0', () => {
    const sizes = [10, 1, 3];
    const n = 30_000;
    const s = sampleSpace(seededRandom('sample-space'), sizes, n);
    const counts = [new Array<number>(10).fill(0), [0], new Array<number>(3).fill(0)];
    for (let r = 0; r < n; r++) for (let i = 0; i < 3; i++) counts[i]![s[r * 3 + i]!]! += 1;
    expect(counts[1]).toEqual([n]);
    // Binomial standard deviation of a count is about sqrt(n p) < 100; allow 5 of them.
    for (const c of counts[0]!) expect(Math.abs(c - n / 10)).toBeLessThan(500);
    for (const c of counts[2]!) expect(Math.abs(c - n / 3)).toBeLessThan(500);
  });
});

// A space of 3 x (sep) x 2 x (sep) x (sep) x 3 = 18 secrets with token ids 1..6 for symbols and
// 7, 8, 9 for separators, under the closed-form toy scorer.
const POSITIONS = [Int32Array.of(1, 2, 3), Int32Array.of(7), Int32Array.of(4, 5), Int32Array.of(8), Int32Array.of(9), Int32Array.of(1, 3, 6)];
const SPACE = { positions: POSITIONS.map((ids) => Array.from(ids, (id) => String.fromCharCode(96 + id))) };
const SIZES = POSITIONS.map((p) => p.length);
const FAV = [2, 0, 0, 0, 0, 1]; // 'c' 'g' 'd' 'h' 'i' 'c'
const favTokens = FAV.map((s, i) => POSITIONS[i]![s]!);
const toy = (bonus: number): ToyScorer => new ToyScorer({ vocabSize: 10, favourite: favTokens, bonus, grid: 0.25, scale: 1.5 });

describe('exact enumeration and extraction over several alphabets', () => {
  it('enumeration equals scoring every candidate by itself and the closed form', async () => {
    const scorer = toy(2);
    const model = await openSpaceModel(scorer, [0], POSITIONS);
    const all = await enumerateLogPerplexities(model, { batchRows: 5 });
    expect(all.length).toBe(18);
    // Rows advanced: sum over k of the number of nodes at depth k (prefix products), 1..L-1.
    let rows = 0;
    for (let k = 1; k < SIZES.length; k++) rows += productOfSizes(SIZES.slice(0, k));
    expect(model.rowsAdvanced).toBe(rows);
    for (let idx = 0; idx < 18; idx++) {
      const symbols = symbolsAtIndex(SIZES, idx);
      const alone = await scoreSecrets(model, symbols);
      expect(all[idx]).toBe(alone[0]);
      const tokens = Array.from(symbols, (s, i) => POSITIONS[i]![s]!);
      expect(all[idx]!).toBeCloseTo(scorer.closedFormBits(tokens), 4);
    }
    // Blocks of first symbols laid end to end are the whole enumeration.
    const blocks = [
      ...(await enumerateLogPerplexities(model, { firstSymbols: { from: 0, to: 1 } })),
      ...(await enumerateLogPerplexities(model, { firstSymbols: { from: 1, to: 3 } })),
    ];
    expect(blocks).toEqual(Array.from(all));
    // Exact rank of the favourite = brute-force count.
    const fav = spaceIndex(SIZES, FAV);
    const [ex] = exactExposures(all, [fav]);
    expect(ex!.rank).toBe(Array.from(all).filter((v) => v <= all[fav]!).length);
    expect(ex!.exposure).toBeCloseTo(Math.log2(18) - Math.log2(ex!.rank), 12);
    await expect(enumerateLogPerplexities(model, { maxSpace: 17 })).rejects.toThrow(/3\*2\*3 = 2\^4\.2 secrets, above the limit of 17/);
    closeSecretModel(model);
    expect(scorer.live).toBe(0);
  });

  it('extraction lists R in nondecreasing log-perplexity and finds the planted secret first', async () => {
    const scorer = toy(4);
    const model = await openSpaceModel(scorer, [], POSITIONS);
    const all = await enumerateLogPerplexities(model);
    const enumRows = model.rowsAdvanced;
    const res = await extractSecrets(model, SPACE, { maxQueries: 1e9, batchNodes: 3 });
    expect(res.stopped).toBe('exhausted');
    expect(res.candidates.length).toBe(18);
    expect(res.queries).toBe(enumRows);
    const sorted = Array.from(all).sort((a, b) => a - b);
    res.candidates.forEach((c, i) => {
      expect(c.logPerplexityBits).toBe(all[spaceIndex(SIZES, c.symbols)]!);
      expect(c.logPerplexityBits).toBe(sorted[i]!);
    });
    expect(res.candidates[0]!.secret).toBe('cgdhic');
    const out = extractionOutcome(res, 'cgdhic', SPACE);
    expect(out).toMatchObject({ found: true, position: 1, spaceSize: 18, treeQueries: enumRows });
    await expect(extractSecrets(model, { positions: SPACE.positions.slice(1) }, { maxQueries: 10 })).rejects.toThrow(InvalidArgumentError);
    closeSecretModel(model);
    expect(scorer.live).toBe(0);
  });

  it('a memorized phone number in a 10^10 space is found with a few hundred queries', async () => {
    const f = parseSecretFormat('({digits:3}) {digits:3}-{digits:4}');
    // Token ids: digits 1..10, ')' 11, ' ' 12, '-' 13.
    const sepIds: Record<string, number> = { ')': 11, ' ': 12, '-': 13 };
    const positions = f.positions.map((alphabet) => Int32Array.from(alphabet, (s) => sepIds[s] ?? Number(s) + 1));
    const secret = '617) 555-1212';
    const fav = Array.from(symbolsFromSecret(f, secret), (s, i) => positions[i]![s]!);
    const scorer = new ToyScorer({ vocabSize: 14, favourite: fav, bonus: 6, grid: 0.25, scale: 1 });
    const model = await openSpaceModel(scorer, [], positions);
    const res = await extractSecrets(model, f, { maxQueries: 1e5, batchNodes: 8, maxCandidates: 10, stopWhenFound: new Set([secret]) });
    const out = extractionOutcome(res, secret, f);
    expect(out).toMatchObject({ found: true, position: 1, spaceSize: 1e10 });
    expect(out.queries).toBeLessThan(500);
    closeSecretModel(model);
    expect(scorer.live).toBe(0);
  });

  it('a single-slot model is the space model whose positions share one alphabet', async () => {
    const ids = Int32Array.of(1, 2, 3);
    const a = await openSecretModel(toy(1), [0], ids, 4);
    const b = await openSpaceModel(toy(1), [0], [ids, ids, ids, ids]);
    expect(Array.from(await enumerateLogPerplexities(a))).toEqual(Array.from(await enumerateLogPerplexities(b)));
    expect(a.rowsAdvanced).toBe(b.rowsAdvanced);
    closeSecretModel(a);
    closeSecretModel(b);
    await expect(openSpaceModel(toy(1), [], [ids, Int32Array.of()])).rejects.toThrow(InvalidArgumentError);
    await expect(openSpaceModel(toy(1), [], [Int32Array.of(99)])).rejects.toThrow(/outside the scorer's vocabulary/);
  });
});
