/**
 * languageModelScorer on a real transformer LanguageModel: the KV-cached steps against the
 * model's own full forward, and exact exposure (the shared-prefix enumeration) against every
 * secret scored by one full forward of prefix + secret.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/dpsgd/backend.js';
import { LanguageModel, type LanguageModelConfig } from '../../src/dpsgd/model.js';
import { languageModelScorer } from '../../src/dpsgd/scorer.js';
import { transformerParameterShapes } from '../../src/dpsgd/transformer.js';
import { closeSecretModel, openSecretModel } from '../../src/canary/secret-model.js';
import { enumerateLogPerplexities, exactExposures } from '../../src/canary/exact.js';
import { extractSecrets } from '../../src/canary/extract.js';
import { parseFormat, secretIndex, symbolsFromIndex } from '../../src/canary/format.js';
import { seededRandom } from '../../src/util/random.js';
import { contractShapes, randomContractWeights, type TinyTransformer } from './transformer-reference.js';

const TINY: TinyTransformer = { vocabSize: 11, hiddenSize: 12, layers: 2, heads: 3, ffnSize: 20, maxLength: 10 };
const CONFIG: LanguageModelConfig = { ...TINY, embeddingDim: TINY.hiddenSize, cell: 'transformer', dropout: 0.1 };

beforeAll(async () => {
  await initBackend('wasm');
});

/** Log-softmax [T, B, V] of the model's full forward over sequences [B][T] (one column each). */
function forwardLogProbs(model: LanguageModel, seqs: readonly number[][]): { data: Float32Array; T: number; B: number } {
  const T = seqs[0]!.length;
  const B = seqs.length;
  const ids = new Int32Array(T * B);
  seqs.forEach((s, b) => s.forEach((t, i) => (ids[i * B + b] = t)));
  const data = tf.tidy(() => tf.logSoftmax(model.forward(tf.tensor2d(ids, [T, B], 'int32'))).dataSync() as Float32Array);
  return { data, T, B };
}

describe('languageModelScorer on a transformer LanguageModel', () => {
  it('uses the contract parameters', () => {
    expect(transformerParameterShapes(TINY)).toEqual(contractShapes(TINY));
  });

  for (const init of ['create', 'random weights'] as const) {
    it(`start/advance equal the model's forward at each prefix (${init})`, async () => {
      const model =
        init === 'create' ? LanguageModel.create(CONFIG, seededRandom('tms-create')) : LanguageModel.fromWeights(CONFIG, randomContractWeights(TINY, 'tms-weights'));
      const scorer = languageModelScorer(model);
      const V = TINY.vocabSize;
      const seqs = [
        [4, 2, 9, 9, 0, 3, 1],
        [4, 2, 9, 1, 10, 3, 5],
        [4, 2, 9, 1, 10, 7, 5],
      ];
      const ref = forwardLogProbs(model, seqs);
      const at = (t: number, b: number, v: number): number => ref.data[(t * ref.B + b) * V + v]!;
      let step = await scorer.start(seqs[0]!.slice(0, 3));
      for (let v = 0; v < V; v++) expect(Math.abs(step.logProbs[v]! - at(2, 0, v))).toBeLessThan(1e-5);
      const held = [step.state];
      // Row r follows seqs[r]; the rows branch after the prefix and again later.
      let parentsOf = [0, 0, 0];
      for (let t = 3; t < 7; t++) {
        const prevRows = parentsOf;
        step = await scorer.advance(step.state, Int32Array.from(prevRows), Int32Array.from(seqs, (s) => s[t]!));
        held.push(step.state);
        for (let b = 0; b < 3; b++) for (let v = 0; v < V; v++) expect(Math.abs(step.logProbs[b * V + v]! - at(t, b, v))).toBeLessThan(1e-5);
        parentsOf = [0, 1, 2];
      }
      for (const s of held) scorer.dispose(s);
      model.dispose();
    });
  }

  it('exact exposure and extraction over 4^4 secrets give the log-perplexities and ranks of a full forward per secret', async () => {
    const model = LanguageModel.fromWeights(CONFIG, randomContractWeights(TINY, 'tms-exposure'));
    const prefix = [7, 8, 1];
    const symbolIds = Int32Array.of(3, 4, 5, 6);
    const sm = await openSecretModel(languageModelScorer(model), prefix, symbolIds, 4);
    try {
      const all = await enumerateLogPerplexities(sm, { batchRows: 24 });
      // Brute force: every secret in one batch of full forwards over prefix + secret.
      const secrets = Array.from({ length: 256 }, (_, i) => Array.from(symbolsFromIndex(i, 4, 4), (s) => symbolIds[s]!));
      const ref = forwardLogProbs(model, secrets.map((s) => [...prefix, ...s]));
      const V = TINY.vocabSize;
      const brute = secrets.map((s, b) => s.reduce((bits, tok, i) => bits - ref.data[((prefix.length - 1 + i) * ref.B + b) * V + tok]! / Math.LN2, 0));
      for (let i = 0; i < 256; i++) expect(Math.abs(all[i]! - brute[i]!)).toBeLessThan(1e-4);
      const spread = Math.max(...brute) - Math.min(...brute);
      expect(spread).toBeGreaterThan(1); // far from uniform, so the ranks say something
      const canaries = [0, 77, 150, 255, brute.indexOf(Math.min(...brute))];
      const ex = exactExposures(all, canaries);
      canaries.forEach((idx, k) => {
        // No other secret within float32 rounding of the canary, so the two counts must agree.
        expect(brute.filter((v) => Math.abs(v - brute[idx]!) < 1e-3).length).toBe(1);
        expect(ex[k]!.rank).toBe(brute.filter((v) => v <= brute[idx]!).length);
      });
      // The best-first search over the same tree finds every secret, most likely first, at the
      // brute-force log-perplexity.
      const res = await extractSecrets(sm, parseFormat('x {set:abcd:4}'), { maxQueries: 1e6, batchNodes: 9 });
      expect(res.candidates.length).toBe(256);
      const sorted = [...brute].sort((a, b) => a - b);
      res.candidates.forEach((c, i) => {
        expect(Math.abs(c.logPerplexityBits - brute[secretIndex(c.symbols, 4)]!)).toBeLessThan(1e-4);
        expect(Math.abs(c.logPerplexityBits - sorted[i]!)).toBeLessThan(1e-4);
      });
    } finally {
      closeSecretModel(sm);
      model.dispose();
    }
  });
});

describe('a prefix longer than the transformer context', () => {
  it('is scored by its last tokens: the same log-perplexities as the cut prefix, against a full forward', async () => {
    const model = LanguageModel.create(CONFIG, seededRandom(7));
    const scorer = languageModelScorer(model);
    expect(scorer.maxLength).toBe(TINY.maxLength);
    const long = [1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3]; // 12 tokens, maxLength 10
    const digits = Int32Array.from({ length: 3 }, (_, i) => i + 2);
    const secret = Int32Array.of(1, 0); // two positions: the state before the last holds 8 + 1 tokens
    const cut = await openSecretModel(scorer, long, digits, 2);
    const expected = await openSecretModel(scorer, long.slice(long.length - 9), digits, 2);
    const a = await enumerateLogPerplexities(cut);
    const b = await enumerateLogPerplexities(expected);
    closeSecretModel(cut);
    closeSecretModel(expected);
    expect([...a]).toEqual([...b]);
    // Brute force: the full forward of the last 9 prefix tokens and the secret's tokens.
    const seq = [...long.slice(3), digits[secret[0]!]!, digits[secret[1]!]!];
    const { data, B } = forwardLogProbs(model, [seq.slice(0, 10)]); // position t predicts token t + 1
    const V = TINY.vocabSize;
    const at = (t: number, v: number): number => data[(t * B) * V + v]!;
    const bits = -(at(8, seq[9]!) + at(9, seq[10]!)) / Math.LN2;
    expect(a[secret[0]! * 3 + secret[1]!]).toBeCloseTo(bits, 4);
    // A secret longer than the whole context is refused.
    await expect(openSecretModel(scorer, [], digits, 12)).rejects.toThrow(/does not fit the model's context of 10 tokens/);
    model.dispose();
  });
});
