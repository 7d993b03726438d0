import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { useCpu } from '../helpers.js';
import { layersModelScorer } from '../../../src/dpsgd/user-model/scorer.js';
import { closeSecretModel, openSecretModel, scoreSecrets } from '../../../src/canary/secret-model.js';
import { enumerateLogPerplexities, exactExposures } from '../../../src/canary/exact.js';
import { extractSecrets } from '../../../src/canary/extract.js';
import { parseFormat, secretIndex, symbolsFromIndex } from '../../../src/canary/format.js';
import { seedWeights } from './brute-force.js';

beforeAll(useCpu);

const V = 9;

function tinyLstm(): tfl.LayersModel {
  const m = tfl.sequential({ layers: [
    tfl.layers.embedding({ inputDim: V, outputDim: 4, inputShape: [null] as unknown as number[] }),
    tfl.layers.lstm({ units: 8, returnSequences: true, recurrentInitializer: 'glorotUniform' }),
    tfl.layers.dense({ units: V, activation: 'softmax' }),
  ] });
  seedWeights(m, 'scorer-lstm', 1);
  return m;
}

/** log2-perplexity of `secret` after `prefix`, by running the model on the whole sequence once. */
function directLogPerplexityBits(m: tfl.LayersModel, prefix: number[], secret: number[]): number {
  const seq = [...prefix, ...secret];
  const probs = tf.tidy(() => (m.predict(tf.tensor2d([seq], [1, seq.length], 'int32')) as tf.Tensor).arraySync() as number[][][]);
  let bits = 0;
  secret.forEach((tok, k) => {
    bits -= Math.log2(probs[0]![prefix.length - 1 + k]![tok]!);
  });
  return bits;
}

describe('layersModelScorer: exposure and extraction on a user-built LayersModel LSTM', () => {
  it('enumeration, brute-force scoring, direct model runs and extraction agree', async () => {
    const model = tinyLstm();
    const format = parseFormat('x {set:abc:3}');
    const symbolIds = Int32Array.of(4, 5, 6);
    const prefix = [7, 8, 1];
    const sm = await openSecretModel(layersModelScorer(model), prefix, symbolIds, 3);
    try {
      const all = await enumerateLogPerplexities(sm, { batchRows: 7 });
      const n = 27;
      const secrets = new Int32Array(n * 3);
      for (let i = 0; i < n; i++) secrets.set(symbolsFromIndex(i, 3, 3), i * 3);
      const brute = await scoreSecrets(sm, secrets, { batchRows: 5 });
      for (let i = 0; i < n; i++) {
        expect(Math.abs(all[i]! - brute[i]!)).toBeLessThan(1e-4);
        const direct = directLogPerplexityBits(model, prefix, Array.from(symbolsFromIndex(i, 3, 3), (s) => symbolIds[s]!));
        expect(Math.abs(all[i]! - direct)).toBeLessThan(1e-4);
      }
      const ex = exactExposures(all, [0, 13, 26]);
      [0, 13, 26].forEach((idx, k) => {
        const rank = Array.from(brute).filter((v) => v <= brute[idx]! + 1e-9).length;
        expect(ex[k]!.rank).toBe(rank);
      });
      const res = await extractSecrets(sm, format, { maxQueries: 1e5, batchNodes: 4 });
      expect(res.candidates.length).toBe(n);
      const best = Math.min(...all);
      expect(res.candidates[0]!.logPerplexityBits).toBeCloseTo(best, 4);
      for (const c of res.candidates) expect(Math.abs(c.logPerplexityBits - all[secretIndex(c.symbols, 3)]!)).toBeLessThan(1e-4);
    } finally {
      closeSecretModel(sm);
      model.dispose();
    }
  });

  it('explains what it cannot score', async () => {
    const fixed = tfl.sequential({ layers: [tfl.layers.embedding({ inputDim: V, outputDim: 2, inputLength: 5 }), tfl.layers.flatten(), tfl.layers.dense({ units: V, activation: 'softmax' })] });
    expect(() => layersModelScorer(fixed)).toThrow(/input length is fixed at 5; build it with inputShape \[null\]/);
    await expect(layersModelScorer(tinyLstm()).start([])).rejects.toThrow(/startToken/);
    const withStart = await layersModelScorer(tinyLstm(), { startToken: 0 }).start([]);
    expect(withStart.logProbs.length).toBe(V);
  });
});
