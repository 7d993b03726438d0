import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { Scorer, StateBatch, StepResult } from '../../canary/scorer.js';
import { InvalidArgumentError } from '../../util/errors.js';

export interface LayersModelScorerOptions {
  /** The model outputs logits (default: probabilities, e.g. a softmax last layer). */
  readonly fromLogits?: boolean;
  /** A token id fed before every sequence (begin-of-sequence); needed to score from an empty prefix. */
  readonly startToken?: number;
  /** Most rows run through the model at once (default 512). */
  readonly batchRows?: number;
}

/** A batch of token sequences, all of one length: the state of a sequence model is its input so far. */
interface SequenceBatch extends StateBatch {
  readonly length: number;
  /** Row-major [size x length] token ids. */
  readonly tokens: Int32Array;
  disposed: boolean;
}

/**
 * The canary Scorer (src/canary/scorer.ts) for a user's next-token tf.LayersModel: token ids
 * [B, L] -> next-token probabilities (or logits) [B, L, V] (returnSequences) or [B, V] (last
 * step). The model must accept sequences of any length (build it with inputShape [null], or
 * rebuild a trained fixed-length model that way and copy the weights). A state is the token
 * sequence so far and each step reruns the model on it, so scoring costs O(length) per token:
 * it works for any architecture (recurrent, convolutional, attention), at the price of speed.
 * Log-probabilities are in nats.
 *
 * ```ts
 * import * as tfl from '@tensorflow/tfjs-layers';
 * import { initBackend, layersModelScorer } from 'dp-canary/dpsgd';
 * await initBackend();
 * const lm = tfl.sequential({
 *   layers: [
 *     tfl.layers.embedding({ inputDim: 5, outputDim: 4, inputShape: [null] }), // any length
 *     tfl.layers.simpleRNN({ units: 8, returnSequences: true, recurrentInitializer: 'glorotUniform' }),
 *     tfl.layers.dense({ units: 5, activation: 'softmax' }),
 *   ],
 * });
 * const scorer = layersModelScorer(lm);
 * const first = await scorer.start([1, 2]); // ln Pr(next token | 1 2)
 * scorer.dispose(first.state);
 * ```
 */
export function layersModelScorer(model: LayersModel, o: LayersModelScorerOptions = {}): Scorer {
  const outShape = model.outputs[0]!.shape;
  const vocabSize = outShape[outShape.length - 1];
  if (model.inputs.length !== 1 || model.outputs.length !== 1 || typeof vocabSize !== 'number') {
    throw new InvalidArgumentError('a scorer needs a model with one token-id input and one output of next-token probabilities [batch, (length,) vocabulary].');
  }
  const inLen = model.inputs[0]!.shape[1];
  if (typeof inLen === 'number') {
    throw new InvalidArgumentError(`the model's input length is fixed at ${inLen}; build it with inputShape [null] (same weights) so it accepts sequences of any length.`);
  }
  if (o.startToken !== undefined && !(Number.isInteger(o.startToken) && o.startToken >= 0)) throw new InvalidArgumentError(`start token must be a token id, got ${o.startToken}.`);
  const rows = o.batchRows ?? 512;
  const lead = o.startToken === undefined ? [] : [o.startToken];

  const run = (tokens: Int32Array, size: number, length: number): Float32Array => {
    const out = new Float32Array(size * vocabSize);
    for (let start = 0; start < size; start += rows) {
      const n = Math.min(rows, size - start);
      const part = tf.tidy(() => {
        const x = tf.tensor2d(tokens.subarray(start * length, (start + n) * length), [n, length], 'int32');
        let y = model.apply(x, { training: false }) as tf.Tensor;
        if (y.rank === 3) y = tf.squeeze(tf.slice(y, [0, length - 1, 0], [n, 1, vocabSize]), [1]);
        return o.fromLogits ? tf.logSoftmax(y) : tf.log(tf.maximum(y, 1e-30));
      });
      out.set(part.dataSync() as Float32Array, start * vocabSize);
      part.dispose();
    }
    return out;
  };
  const check = (s: StateBatch): SequenceBatch => {
    const b = s as SequenceBatch;
    if (b.disposed) throw new InvalidArgumentError('this state batch was disposed');
    return b;
  };
  return {
    vocabSize,
    async start(prefix: readonly number[]): Promise<StepResult> {
      const seq = Int32Array.from([...lead, ...prefix]);
      if (seq.length === 0) throw new InvalidArgumentError('scoring from an empty prefix needs a startToken.');
      const state: SequenceBatch = { size: 1, length: seq.length, tokens: seq, disposed: false };
      return { state, logProbs: run(seq, 1, seq.length) };
    },
    async advance(s: StateBatch, parents: Int32Array, tokens: Int32Array): Promise<StepResult> {
      const prev = check(s);
      const L = prev.length + 1;
      const n = parents.length;
      const next = new Int32Array(n * L);
      for (let i = 0; i < n; i++) {
        const p = parents[i]!;
        next.set(prev.tokens.subarray(p * prev.length, (p + 1) * prev.length), i * L);
        next[i * L + L - 1] = tokens[i]!;
      }
      const state: SequenceBatch = { size: n, length: L, tokens: next, disposed: false };
      return { state, logProbs: run(next, n, L) };
    },
    dispose(s: StateBatch): void {
      (s as SequenceBatch).disposed = true;
    },
  };
}
