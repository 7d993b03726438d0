import { describe, expect, it } from 'vitest';
import { ToyScorer } from './toy-scorer.js';
import { closeSecretModel, openSecretModel } from '../../src/canary/secret-model.js';
import { enumerateLogPerplexities } from '../../src/canary/exact.js';
import { extractSecrets, extractionOutcome } from '../../src/canary/extract.js';
import { parseFormat, secretFromSymbols, secretIndex } from '../../src/canary/format.js';

const FORMAT = parseFormat('code {set:abcde:5}');
const SYMBOL_IDS = Int32Array.of(1, 2, 3, 4, 5);
const FAV = [3, 0, 4, 4, 1];
const toy = (bonus = 3): ToyScorer =>
  new ToyScorer({ vocabSize: 7, favourite: FAV.map((s) => SYMBOL_IDS[s]!), bonus, grid: 0.5, scale: 1.5 });

describe('extraction (best-first search)', () => {
  it('with an unlimited budget lists all of R in nondecreasing log-perplexity, matching the enumeration', async () => {
    for (const batchNodes of [1, 7, 256]) {
      const scorer = toy();
      const model = await openSecretModel(scorer, [], SYMBOL_IDS, 5);
      const all = await enumerateLogPerplexities(model);
      const enumRows = model.rowsAdvanced;
      const res = await extractSecrets(model, FORMAT, { maxQueries: 1e9, batchNodes });
      expect(res.stopped).toBe('exhausted');
      expect(res.candidates.length).toBe(3125);
      // Every partial secret is expanded exactly once: as many queries as the full tree.
      expect(res.queries).toBe(enumRows);
      const seen = new Set<number>();
      res.candidates.forEach((c, i) => {
        const idx = secretIndex(c.symbols, 5);
        seen.add(idx);
        expect(c.logPerplexityBits).toBe(all[idx]!);
        expect(c.secret).toBe(secretFromSymbols(FORMAT, c.symbols));
        if (i > 0) expect(c.logPerplexityBits).toBeGreaterThanOrEqual(res.candidates[i - 1]!.logPerplexityBits);
      });
      expect(seen.size).toBe(3125);
      expect(res.candidates[0]!.secret).toBe(secretFromSymbols(FORMAT, FAV));
      closeSecretModel(model);
      expect(scorer.live).toBe(0);
    }
  });

  it('finds the planted secret first with far fewer queries than |R|, and reports where', async () => {
    const scorer = toy();
    const model = await openSecretModel(scorer, [], SYMBOL_IDS, 5);
    const favSecret = secretFromSymbols(FORMAT, FAV);
    const res = await extractSecrets(model, FORMAT, { maxQueries: 1e6, batchNodes: 4, stopWhenFound: new Set([favSecret]) });
    expect(res.stopped).toBe('found');
    const out = extractionOutcome(res, favSecret, FORMAT);
    expect(out.spaceSize).toBe(3125);
    expect(out.treeQueries).toBe(5 + 25 + 125 + 625);
    expect(out.found).toBe(true);
    expect(out.position).toBe(1);
    expect(out.queries).toBeLessThan(3125 / 20);
    expect(extractionOutcome(res, 'aaaaa', FORMAT).found).toBe(false);
    closeSecretModel(model);
    expect(scorer.live).toBe(0);
  });

  it('on |R| = 10^6 a memorized secret costs a few dozen queries', async () => {
    const fav = [7, 1, 8, 2, 8, 1];
    const ids = Int32Array.from({ length: 10 }, (_, i) => i + 1);
    const scorer = new ToyScorer({ vocabSize: 12, favourite: fav.map((s) => s + 1), bonus: 5, grid: 0.25, scale: 1 });
    const format = parseFormat('pin {digits:6}');
    const model = await openSecretModel(scorer, [], ids, 6);
    const secret = secretFromSymbols(format, fav);
    const res = await extractSecrets(model, format, { maxQueries: 1e5, batchNodes: 8, stopWhenFound: new Set([secret]) });
    const out = extractionOutcome(res, secret, format);
    expect(out).toMatchObject({ found: true, position: 1 });
    expect(out.queries).toBeLessThan(100);
    closeSecretModel(model);
    expect(scorer.live).toBe(0);
  });

  it('never exceeds the query budget and honours the candidate limit', async () => {
    const scorer = toy(0); // no planted secret: the search has to work
    const model = await openSecretModel(scorer, [], SYMBOL_IDS, 5);
    const res = await extractSecrets(model, FORMAT, { maxQueries: 50, batchNodes: 16 });
    expect(res.stopped).toBe('budget');
    expect(res.queries).toBeLessThanOrEqual(50);
    expect(res.queries).toBeGreaterThan(40);
    const few = await extractSecrets(model, FORMAT, { maxQueries: 1e9, maxCandidates: 3 });
    expect(few.stopped).toBe('candidates');
    expect(few.candidates.length).toBe(3);
    closeSecretModel(model);
    expect(scorer.live).toBe(0);
  });
});
