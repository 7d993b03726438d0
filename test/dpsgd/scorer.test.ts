import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/util/errors.js';
import * as tf from '@tensorflow/tfjs-core';
import { tinyModel, useCpu } from './helpers.js';
import { languageModelScorer } from '../../src/dpsgd/scorer.js';
import type { LanguageModel } from '../../src/dpsgd/model.js';

beforeAll(useCpu);

/** log-probs [T, V] of the next token after each prefix of `seq`, via the full-sequence forward. */
function forwardLogProbs(model: LanguageModel, seq: number[]): Float32Array {
  return tf.tidy(() => {
    const ids = tf.tensor2d(seq, [seq.length, 1], 'int32');
    return tf.logSoftmax(model.forward(ids)).dataSync() as Float32Array;
  });
}

describe.each(['lstm', 'gru'] as const)('languageModelScorer (%s, 2 layers)', (cell) => {
  it('start/advance give the same log-probs (nats) as the sequence forward, for any parent order', async () => {
    const model = tinyModel({ cell, layers: 2, vocabSize: 6 });
    const scorer = languageModelScorer(model);
    const V = scorer.vocabSize;
    const before = tf.memory().numTensors;
    const seqA = [1, 4, 2, 5];
    const seqB = [1, 4, 0, 3];
    const first = await scorer.start(seqA.slice(0, 2));
    const refA = forwardLogProbs(model, seqA);
    const refB = forwardLogProbs(model, seqB);
    // After prefix [1, 4]: row 1 of the reference.
    for (let v = 0; v < V; v++) expect(first.logProbs[v]).toBeCloseTo(refA[1 * V + v]!, 5);
    // Expand the single state into two children (tokens 2 and 0), then advance them in swapped order.
    const two = await scorer.advance(first.state, Int32Array.from([0, 0]), Int32Array.from([2, 0]));
    const three = await scorer.advance(two.state, Int32Array.from([1, 0, 0]), Int32Array.from([3, 5, 5]));
    expect(three.state.size).toBe(3);
    for (let v = 0; v < V; v++) {
      expect(two.logProbs[0 * V + v]).toBeCloseTo(refA[2 * V + v]!, 5);
      expect(two.logProbs[1 * V + v]).toBeCloseTo(refB[2 * V + v]!, 5);
      expect(three.logProbs[0 * V + v]).toBeCloseTo(refB[3 * V + v]!, 5);
      expect(three.logProbs[1 * V + v]).toBeCloseTo(refA[3 * V + v]!, 5);
      expect(three.logProbs[2 * V + v]).toBe(three.logProbs[1 * V + v]);
    }
    // Each row is a distribution: sum of exp(log-prob) = 1.
    for (let r = 0; r < 3; r++) {
      let s = 0;
      for (let v = 0; v < V; v++) s += Math.exp(three.logProbs[r * V + v]!);
      expect(s).toBeCloseTo(1, 5);
    }
    scorer.dispose(first.state);
    scorer.dispose(two.state);
    scorer.dispose(three.state);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => scorer.dispose(two.state)).toThrow();
    await expect(scorer.advance(two.state, Int32Array.from([0]), Int32Array.from([0]))).rejects.toThrow();
    await expect(scorer.advance(three.state, Int32Array.from([0]), Int32Array.from([0]))).rejects.toThrow();
  });

  it('rejects out-of-range parents and tokens', async () => {
    const model = tinyModel({ cell, vocabSize: 6 });
    const scorer = languageModelScorer(model);
    const s = await scorer.start([]);
    await expect(scorer.advance(s.state, Int32Array.from([1]), Int32Array.from([0]))).rejects.toThrow(InvalidArgumentError);
    await expect(scorer.advance(s.state, Int32Array.from([0]), Int32Array.from([6]))).rejects.toThrow(InvalidArgumentError);
    scorer.dispose(s.state);
  });
});
