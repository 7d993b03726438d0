import { describe, expect, it } from 'vitest';
import { ToyScorer } from './toy-scorer.js';
import { BigramScorer } from './bigram-scorer.js';
import { closeSecretModel, openSecretModel, openSpaceModel } from '../../src/canary/secret-model.js';
import { enumerateLogPerplexities, exactExposures } from '../../src/canary/exact.js';
import { exactRank, exactRankWithin } from '../../src/canary/rank.js';
import { productOfSizes, symbolsAtIndex } from '../../src/canary/space.js';
import type { Scorer, StateBatch, StepResult } from '../../src/canary/scorer.js';

const IDS = Int32Array.of(1, 2, 3, 4, 5);
const FAV = [3, 0, 4, 4, 1];

/** Every secret's rank by the pruned walk equals the full enumeration's (ties included). */
async function compareAll(scorer: Scorer, positions: Int32Array[], step: number): Promise<{ walkRows: number[]; enumRows: number }> {
  const sizes = positions.map((p) => p.length);
  const full = await openSpaceModel(scorer, [0], positions);
  const all = await enumerateLogPerplexities(full);
  const enumRows = full.rowsAdvanced;
  closeSecretModel(full);
  const walkRows: number[] = [];
  for (let idx = 0; idx < productOfSizes(sizes); idx += step) {
    const model = await openSpaceModel(scorer, [0], positions);
    const r = await exactRank(model, symbolsAtIndex(sizes, idx));
    const [ex] = exactExposures(all, [idx]);
    expect(r.fullEnumeration).toBe(false);
    expect(r.rank).toBe(ex!.rank);
    expect(r.exposure).toBe(ex!.exposure);
    expect(r.logPerplexityBits).toBe(ex!.logPerplexityBits);
    walkRows.push(model.rowsAdvanced);
    closeSecretModel(model);
  }
  return { walkRows, enumRows };
}

describe('exact rank of one secret by a pruned walk', () => {
  it('equals the full enumeration for every secret of a toy space with many exact ties', async () => {
    const scorer = new ToyScorer({ vocabSize: 7, favourite: FAV.map((s) => IDS[s]!), bonus: 3, grid: 0.5, scale: 1.5 });
    const { walkRows, enumRows } = await compareAll(scorer, new Array<Int32Array>(5).fill(IDS), 7);
    expect(Math.max(...walkRows)).toBeLessThanOrEqual(enumRows + 4); // + the direct scoring of the secret
    expect(scorer.live).toBe(0);
  });

  it('equals the full enumeration on multi-slot bigram spaces, and a likely secret costs little', async () => {
    const small = new BigramScorer(12, (p, v) => 2 * Math.sin(1.9 * p + 0.7 * v * v));
    await compareAll(small, [Int32Array.of(1, 2, 3, 4), Int32Array.of(9), Int32Array.of(5, 6, 7), Int32Array.of(10), Int32Array.of(1, 3, 5, 7, 8)], 1);
    // 10 x (sep) x 10 x 10 x (sep) x 10 with peaked next-token distributions.
    const digits = Int32Array.from({ length: 10 }, (_, i) => i + 1);
    const positions = [digits, Int32Array.of(11), digits, digits, Int32Array.of(12), digits];
    const scorer = new BigramScorer(13, (p, v) => 5 * Math.sin(1.9 * p + 0.7 * v * v + 0.3 * v));
    const { walkRows, enumRows } = await compareAll(scorer, positions, 97);
    expect(Math.max(...walkRows)).toBeLessThanOrEqual(enumRows + positions.length - 1);
    // The most likely secret visits a small part of the tree.
    const full = await openSpaceModel(scorer, [0], positions);
    const all = await enumerateLogPerplexities(full);
    const best = all.indexOf(Math.min(...all));
    const model = await openSpaceModel(scorer, [0], positions);
    const r = await exactRank(model, symbolsAtIndex(positions.map((p) => p.length), best));
    expect(r.rank).toBe(1);
    expect(model.rowsAdvanced).toBeLessThan(full.rowsAdvanced / 10);
    closeSecretModel(full);
    closeSecretModel(model);
  });

  it('falls back to the full enumeration when the model emits a positive log-probability', async () => {
    const inner = new ToyScorer({ vocabSize: 7, favourite: FAV.map((s) => IDS[s]!), bonus: 3, grid: 0.5, scale: 1.5 });
    // Not a distribution: every log-probability raised by 1 nat (some become > 0).
    const shift = (r: StepResult): StepResult => ({ state: r.state, logProbs: r.logProbs.map((x) => x + 1) });
    const broken: Scorer = {
      vocabSize: 7,
      start: async (p: readonly number[]) => shift(await inner.start(p)),
      advance: async (s: StateBatch, parents: Int32Array, tokens: Int32Array) => shift(await inner.advance(s, parents, tokens)),
      dispose: (s: StateBatch) => inner.dispose(s),
    };
    const sm = await openSecretModel(broken, [0], IDS, 4);
    const all = await enumerateLogPerplexities(sm);
    const r = await exactRank(sm, Int32Array.of(3, 0, 4, 4));
    expect(r.fullEnumeration).toBe(true);
    expect(r.rank).toBe(exactExposures(all, [3 * 125 + 0 + 4 * 5 + 4])[0]!.rank);
    closeSecretModel(sm);
  });

  it('within a row budget: the same answer when the walk fits, null (and never more rows) when it does not', async () => {
    const scorer = new BigramScorer(13, (p, v) => 5 * Math.sin(1.9 * p + 0.7 * v * v + 0.3 * v));
    const digits = Int32Array.from({ length: 10 }, (_, i) => i + 1);
    const positions = [digits, Int32Array.of(11), digits, digits, Int32Array.of(12), digits];
    const sizes = positions.map((p) => p.length);
    for (const idx of [0, 777, 5555, 9999]) {
      const a = await openSpaceModel(scorer, [0], positions);
      const full = await exactRank(a, symbolsAtIndex(sizes, idx));
      const needed = a.rowsAdvanced;
      closeSecretModel(a);
      const b = await openSpaceModel(scorer, [0], positions);
      expect(await exactRankWithin(b, symbolsAtIndex(sizes, idx), needed)).toEqual(full);
      closeSecretModel(b);
      const c = await openSpaceModel(scorer, [0], positions);
      expect(await exactRankWithin(c, symbolsAtIndex(sizes, idx), needed - 1)).toBeNull();
      expect(c.rowsAdvanced).toBeLessThanOrEqual(needed - 1);
      closeSecretModel(c);
    }
    expect(scorer.live).toBe(0);
  });
});
