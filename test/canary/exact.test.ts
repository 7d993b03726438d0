import { describe, expect, it } from 'vitest';
import { ToyScorer } from './toy-scorer.js';
import { closeSecretModel, openSecretModel, sampleSecrets, scoreSecrets } from '../../src/canary/secret-model.js';
import { interpolationExposure } from '../../src/canary/estimate.js';
import { seededRandom } from '../../src/util/random.js';
import { enumerateLogPerplexities, exactExposures } from '../../src/canary/exact.js';
import { secretIndex, symbolsFromIndex } from '../../src/canary/format.js';
import { InvalidArgumentError } from '../../src/util/errors.js';

const SYMBOL_IDS = Int32Array.of(1, 2, 3, 4, 5); // A = 5
const L = 5; // |R| = 3125
const FAV_SYMBOLS = [3, 0, 4, 4, 1];
const toy = (): ToyScorer =>
  new ToyScorer({ vocabSize: 7, favourite: FAV_SYMBOLS.map((s) => SYMBOL_IDS[s]!), bonus: 3, grid: 0.5, scale: 1.5 });

function allSecrets(A: number, len: number): Int32Array {
  const n = A ** len;
  const out = new Int32Array(n * len);
  for (let i = 0; i < n; i++) out.set(symbolsFromIndex(i, A, len), i * len);
  return out;
}

/** Brute force: score every secret on its own path, rank by counting. */
function bruteRank(values: Float64Array, idx: number): number {
  let r = 0;
  for (const v of values) if (v <= values[idx]!) r++;
  return r;
}

describe('exact exposure', () => {
  it('blocks of first symbols laid end to end are the whole enumeration (also for one-symbol secrets)', async () => {
    for (const len of [1, 2, L]) {
      const model = await openSecretModel(toy(), [0], SYMBOL_IDS, len);
      const all = await enumerateLogPerplexities(model, { batchRows: 11 });
      const cuts = [0, 2, 3, 5];
      const blocks: number[] = [];
      for (let i = 0; i + 1 < cuts.length; i++) {
        const b = await enumerateLogPerplexities(model, { batchRows: 11, firstSymbols: { from: cuts[i]!, to: cuts[i + 1]! } });
        expect(b.length).toBe((cuts[i + 1]! - cuts[i]!) * 5 ** (len - 1));
        blocks.push(...b);
      }
      expect(blocks).toEqual(Array.from(all));
      await expect(enumerateLogPerplexities(model, { firstSymbols: { from: 3, to: 3 } })).rejects.toThrow(InvalidArgumentError);
      closeSecretModel(model);
    }
  });

  it('enumeration equals brute-force scoring and the closed form, with chunked subtrees', async () => {
    const scorer = toy();
    const model = await openSecretModel(scorer, [0], SYMBOL_IDS, L);
    const all = await enumerateLogPerplexities(model, { batchRows: 17 });
    const rowsEnum = model.rowsAdvanced;
    // Leaves need no state: sum_{k=1}^{L-1} A^k rows.
    expect(rowsEnum).toBe(5 + 25 + 125 + 625);
    const brute = await scoreSecrets(model, allSecrets(5, L), { batchRows: 50 });
    expect(Array.from(all)).toEqual(Array.from(brute));
    for (let i = 0; i < all.length; i += 37) {
      const tokens = Array.from(symbolsFromIndex(i, 5, L), (s) => SYMBOL_IDS[s]!);
      expect(all[i]!).toBeCloseTo(scorer.closedFormBits(tokens), 4);
    }
    closeSecretModel(model);
    expect(scorer.live).toBe(0);
  });

  it('ranks and exposures equal brute force for several canaries at once, ties counting against the canary', async () => {
    const scorer = toy();
    const model = await openSecretModel(scorer, [], SYMBOL_IDS, L);
    const all = await enumerateLogPerplexities(model, { batchRows: 64 });
    closeSecretModel(model);
    // Find secrets that tie exactly with another (the grid makes equal last-step logits).
    const seen = new Map<number, number>();
    const tied: number[] = [];
    all.forEach((v, i) => {
      if (seen.has(v) && tied.length < 3) tied.push(i, seen.get(v)!);
      seen.set(v, i);
    });
    expect(tied.length).toBeGreaterThan(0);
    const fav = secretIndex(FAV_SYMBOLS, 5);
    let worst = 0;
    all.forEach((v, i) => {
      if (v > all[worst]!) worst = i;
    });
    const canaries = [fav, worst, 17, 2024, ...tied];
    const shared = exactExposures(all, canaries);
    canaries.forEach((idx, k) => {
      const rank = bruteRank(all, idx);
      expect(shared[k]!.rank).toBe(rank);
      expect(shared[k]!.exposure).toBeCloseTo(Math.log2(3125) - Math.log2(rank), 12);
      expect(shared[k]!.logPerplexityBits).toBe(all[idx]!);
      // One canary at a time gives the same answer as the shared pass.
      expect(exactExposures(all, [idx])[0]).toEqual(shared[k]);
    });
    expect(shared[0]!.rank).toBe(1); // the planted favourite is the most likely secret
    expect(shared[0]!.exposure).toBeCloseTo(Math.log2(3125), 12);
    expect(shared[1]!.exposure).toBe(0); // the least likely has rank |R|
    // A tied pair shares one rank that counts both of them.
    expect(shared[4]!.rank).toBe(shared[5]!.rank);
    expect(shared[4]!.rank).toBeGreaterThanOrEqual(2);
  });

  it('interpolation from a uniform sample of R agrees with exact exposure', async () => {
    const scorer = toy();
    const model = await openSecretModel(scorer, [], SYMBOL_IDS, L);
    const all = await enumerateLogPerplexities(model);
    const refs = await scoreSecrets(model, sampleSecrets(seededRandom('exact-vs-sample'), 5, L, 20000));
    closeSecretModel(model);
    const sorted = Array.from(all).sort((a, b) => a - b);
    // Canaries at ranks 50, 300 and 1500 of 3125: at N = 20000 the sample estimate of
    // log2|R| - log2 rank has a binomial standard error of at most ~0.08 bits (rank 50); allow 0.2.
    for (const r of [50, 300, 1500]) {
      const idx = all.indexOf(sorted[r - 1]!);
      const exact = exactExposures(all, [idx])[0]!;
      expect(Math.abs(interpolationExposure(refs, all[idx]!) - exact.exposure)).toBeLessThan(0.2);
    }
  });

  it('a one-symbol secret needs no advance at all', async () => {
    const scorer = toy();
    const model = await openSecretModel(scorer, [], SYMBOL_IDS, 1);
    const all = await enumerateLogPerplexities(model);
    expect(model.rowsAdvanced).toBe(0);
    const sum = Array.from(all).reduce((s, b) => s + 2 ** -b, 0);
    // All of the vocabulary except ids 0 and 6: probabilities of the 5 symbols sum below 1.
    expect(sum).toBeLessThan(1);
    expect(sum).toBeGreaterThan(0);
    closeSecretModel(model);
  });

  it('refuses |R| above the limit with an InvalidArgumentError that offers estimation', async () => {
    const scorer = toy();
    const model = await openSecretModel(scorer, [], SYMBOL_IDS, L);
    await expect(enumerateLogPerplexities(model, { maxSpace: 1000 })).rejects.toThrow(InvalidArgumentError);
    await expect(enumerateLogPerplexities(model, { maxSpace: 1000 })).rejects.toThrow(/estimat/);
    closeSecretModel(model);
  });
});
