import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { useCpu } from './helpers.js';
import { makeBatch } from '../../src/dpsgd/data.js';
import { privateGradient } from '../../src/dpsgd/gradient.js';
import { LanguageModel, type LanguageModelConfig } from '../../src/dpsgd/model.js';
import { heapExhausted, maxExamplesPerPass, PASS_MEMORY_FLOATS, transformerFloatsPerExample } from '../../src/dpsgd/pass-memory.js';
import { InvalidArgumentError } from '../../src/util/errors.js';
import { seededRandom } from '../../src/util/random.js';

beforeAll(useCpu);

/** Peak tensor memory (float32 values) of one DP-SGD step's gradient over B windows of T tokens, by tf.profile. */
async function measuredPeak(c: LanguageModelConfig, T: number, B: number): Promise<number> {
  const model = LanguageModel.create(c, seededRandom(1));
  const rng = seededRandom(2);
  const windows = Array.from({ length: B }, () => Array.from({ length: T + 1 }, () => Math.floor(rng.uniform() * c.vocabSize)));
  const batch = makeBatch(windows, Int32Array.from(windows.keys()), c.vocabSize);
  const before = tf.memory().numBytes;
  const prof = await tf.profile(() => {
    const g = privateGradient(model, batch, { clipNorm: 1, noiseMultiplier: 1, expectedBatchSize: B, step: 0, random: seededRandom(3) });
    tf.dispose([...g.grads.values()]);
  });
  tf.dispose([batch.inputs, batch.targets]);
  model.dispose();
  return (prof.peakBytes - before) / 4;
}

describe('pass memory', () => {
  it('the transformer estimate bounds the measured peak of a DP-SGD step from above, and not loosely', async () => {
    for (const [d, f, T, L, H] of [[16, 64, 12, 1, 2], [24, 40, 16, 2, 4], [32, 128, 10, 2, 8]] as const) {
      const c: LanguageModelConfig = { cell: 'transformer', vocabSize: 20, embeddingDim: d, hiddenSize: d, layers: L, heads: H, ffnSize: f, maxLength: T, dropout: 0 };
      const B = 6;
      const peak = await measuredPeak(c, T, B);
      const estimate = B * transformerFloatsPerExample({ hiddenSize: d, ffnSize: f, heads: H, layers: L, vocabSize: 20 }, T);
      expect(peak, JSON.stringify({ d, f, T, L, H })).toBeLessThanOrEqual(estimate);
      expect(peak, JSON.stringify({ d, f, T, L, H })).toBeGreaterThan(0.5 * estimate);
    }
  });

  it('caps only transformer passes, to what fits the budget', () => {
    const lstm: LanguageModelConfig = { cell: 'lstm', vocabSize: 64, embeddingDim: 32, hiddenSize: 128, layers: 1, dropout: 0 };
    expect(maxExamplesPerPass(lstm, 64)).toBe(Infinity);
    const gpt: LanguageModelConfig = { cell: 'transformer', vocabSize: 64, embeddingDim: 64, hiddenSize: 64, layers: 2, heads: 4, ffnSize: 256, maxLength: 64, dropout: 0 };
    const n = maxExamplesPerPass(gpt, 64);
    const per = transformerFloatsPerExample({ hiddenSize: 64, ffnSize: 256, heads: 4, layers: 2, vocabSize: 64 }, 64);
    expect(n * per).toBeLessThanOrEqual(PASS_MEMORY_FLOATS);
    expect((n + 1) * per).toBeGreaterThan(PASS_MEMORY_FLOATS);
    // A model too large for one example still gets passes of one.
    expect(maxExamplesPerPass({ ...gpt, hiddenSize: 4096, embeddingDim: 4096, ffnSize: 16384 }, 64)).toBe(1);
  });

  it('turns the wasm heap overflow into one line naming the fix, and leaves other errors alone', () => {
    const e = heapExhausted(new RangeError('Start offset -2140100576 is outside the bounds of the buffer'), 256, 64);
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect(e?.message).toMatch(/256 examples of 64 tokens.*--physical-batch-size/);
    expect(heapExhausted(new InvalidArgumentError('bad'), 256, 64)).toBeNull();
    expect(heapExhausted('text', 1, 1)).toBeNull();
  });
});
