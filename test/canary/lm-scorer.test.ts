import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/dpsgd/backend.js';
import { LanguageModel } from '../../src/dpsgd/model.js';
import { languageModelScorer } from '../../src/dpsgd/scorer.js';
import { closeSecretModel, openSecretModel, openSpaceModel, scoreSecrets } from '../../src/canary/secret-model.js';
import { enumerateLogPerplexities, exactExposures } from '../../src/canary/exact.js';
import { extractSecrets } from '../../src/canary/extract.js';
import { exactRank } from '../../src/canary/rank.js';
import { parseFormat, parseSecretFormat, secretIndex, symbolsFromIndex } from '../../src/canary/format.js';
import { spaceIndex, symbolsAtIndex } from '../../src/canary/space.js';
import { seededRandom } from '../../src/util/random.js';

// The canary code against the real LSTM scorer: the shared-prefix enumeration, per-secret
// scoring and the extraction search must agree on every secret of a small space.
describe('canary code on a dp-canary LSTM', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('enumeration, brute-force scoring and extraction agree (to float32 rounding)', async () => {
    const model = LanguageModel.create(
      { vocabSize: 12, embeddingDim: 8, hiddenSize: 16, layers: 1, cell: 'lstm', dropout: 0 },
      seededRandom('lm-scorer-test'),
    );
    const format = parseFormat('x {set:abcd:4}');
    const ids = Int32Array.of(3, 4, 5, 6);
    const sm = await openSecretModel(languageModelScorer(model), [7, 8, 1], ids, 4);
    try {
      const all = await enumerateLogPerplexities(sm, { batchRows: 20 });
      const secrets = new Int32Array(256 * 4);
      for (let i = 0; i < 256; i++) secrets.set(symbolsFromIndex(i, 4, 4), i * 4);
      const brute = await scoreSecrets(sm, secrets, { batchRows: 33 });
      for (let i = 0; i < 256; i++) expect(Math.abs(all[i]! - brute[i]!)).toBeLessThan(1e-4);
      // Ranks from the enumeration equal ranks by counting brute-force scores (no near-ties here).
      const ex = exactExposures(all, [0, 77, 255]);
      [0, 77, 255].forEach((idx, k) => {
        const rank = Array.from(brute).filter((v) => v <= brute[idx]! + 1e-9).length;
        expect(ex[k]!.rank).toBe(rank);
      });
      const res = await extractSecrets(sm, format, { maxQueries: 1e6, batchNodes: 9 });
      expect(res.candidates.length).toBe(256);
      for (const c of res.candidates) expect(Math.abs(c.logPerplexityBits - all[secretIndex(c.symbols, 4)]!)).toBeLessThan(1e-4);
    } finally {
      closeSecretModel(sm);
      model.dispose();
    }
  });

  it('a multi-slot space: enumeration equals each candidate scored by itself from the prefix', async () => {
    const model = LanguageModel.create(
      { vocabSize: 14, embeddingDim: 8, hiddenSize: 16, layers: 1, cell: 'lstm', dropout: 0 },
      seededRandom('lm-scorer-multi-slot'),
    );
    // '{digits:2}-{digits:2}' with digits as tokens 1..10 and '-' as token 11: |R| = 10^4.
    const format = parseSecretFormat('{digits:2}-{digits:2}');
    const positions = format.positions.map((alphabet) => Int32Array.from(alphabet, (s) => (s === '-' ? 11 : Number(s) + 1)));
    const sizes = positions.map((p) => p.length);
    const prefix = [12, 13, 12];
    const scorer = languageModelScorer(model);
    const sm = await openSpaceModel(scorer, prefix, positions);
    try {
      const all = await enumerateLogPerplexities(sm, { batchRows: 64 });
      expect(all.length).toBe(10_000);
      // Independent path: run prefix + the secret's first i tokens from scratch for every i.
      for (let idx = 0; idx < 10_000; idx += 997) {
        const tokens = Array.from(symbolsAtIndex(sizes, idx), (s, i) => positions[i]![s]!);
        let bits = 0;
        for (let i = 0; i < tokens.length; i++) {
          const step = await scorer.start([...prefix, ...tokens.slice(0, i)]);
          bits -= step.logProbs[tokens[i]!]! / Math.LN2;
          scorer.dispose(step.state);
        }
        expect(Math.abs(all[idx]! - bits)).toBeLessThan(1e-4);
      }
      // The pruned walk's rank of one secret equals the enumeration's.
      for (const idx of [0, 4321, 9999, all.indexOf(Math.min(...all))]) {
        const one = await openSpaceModel(scorer, prefix, positions);
        const r = await exactRank(one, symbolsAtIndex(sizes, idx));
        closeSecretModel(one);
        expect(r.fullEnumeration).toBe(false);
        expect(r.rank).toBe(exactExposures(all, [idx])[0]!.rank);
      }
      const res = await extractSecrets(sm, format, { maxQueries: 1e6, maxCandidates: 50, batchNodes: 16 });
      const sorted = Array.from(all).sort((a, b) => a - b);
      res.candidates.forEach((c, i) => {
        expect(c.logPerplexityBits).toBe(all[spaceIndex(sizes, c.symbols)]!);
        expect(Math.abs(c.logPerplexityBits - sorted[i]!)).toBeLessThan(1e-9);
        expect(c.secret).toMatch(/^\d\d-\d\d$/);
      });
    } finally {
      closeSecretModel(sm);
      model.dispose();
    }
  });
});
