import * as tf from '@tensorflow/tfjs-core';
import type { Scorer, StateBatch, StepResult } from '../canary/scorer.js';
import type { LanguageModel } from './model.js';
import { InvalidArgumentError } from '../util/errors.js';

/** The prefixes of a batch: every row has the same length n (row-major [size, n]). */
interface PrefixBatch extends StateBatch {
  readonly tokens: Int32Array;
  readonly length: number;
  disposed: boolean;
}

/**
 * A simple Scorer over a transformer language model: the state of a row is its prefix, and
 * each step runs the full forward over the prefix (O(n^2) per step, no cache). Correct for any
 * prefix up to maxLength tokens; a KV-cache scorer is the fast replacement. An empty prefix
 * scores softmax(output/b), the recurrent scorer's zero-state convention.
 */
export function transformerFullScorer(model: LanguageModel): Scorer {
  const V = model.config.vocabSize;
  const maxLength = model.config.maxLength!;

  /** Log-probabilities [size, V] after each row of `tokens` ([size, n]). */
  const logProbs = async (tokens: Int32Array, size: number, n: number): Promise<Float32Array> => {
    if (n > maxLength) throw new InvalidArgumentError(`a prefix of ${n} tokens is longer than the transformer's maxLength ${maxLength}`);
    const logp = tf.tidy(() => {
      if (n === 0) return tf.tile(tf.reshape(tf.logSoftmax(model.param('output/b')), [1, V]), [size, 1]);
      const ids = tf.transpose(tf.tensor2d(tokens, [size, n], 'int32')) as tf.Tensor2D; // [n, size]
      const logits = model.forward(ids);
      return tf.logSoftmax(tf.reshape(tf.slice(logits, [n - 1, 0, 0], [1, size, V]), [size, V]));
    });
    const data = (await logp.data()) as Float32Array;
    logp.dispose();
    return data;
  };

  const checkState = (s: StateBatch): PrefixBatch => {
    const st = s as PrefixBatch;
    if (!(st.tokens instanceof Int32Array)) throw new InvalidArgumentError('state batch does not belong to this scorer');
    if (st.disposed) throw new InvalidArgumentError('state batch was disposed');
    return st;
  };

  return {
    vocabSize: V,
    async start(prefix: readonly number[]): Promise<StepResult> {
      for (const t of prefix) if (!(Number.isInteger(t) && t >= 0 && t < V)) throw new InvalidArgumentError(`token ${t} outside [0, ${V})`);
      const tokens = Int32Array.from(prefix);
      const state: PrefixBatch = { size: 1, tokens, length: tokens.length, disposed: false };
      return { state, logProbs: await logProbs(tokens, 1, tokens.length) };
    },
    async advance(state: StateBatch, parents: Int32Array, tokens: Int32Array): Promise<StepResult> {
      const st = checkState(state);
      const size = parents.length;
      if (tokens.length !== size) throw new InvalidArgumentError('parents and tokens must have the same length');
      const n = st.length + 1;
      const rows = new Int32Array(size * n);
      for (let k = 0; k < size; k++) {
        const par = parents[k]!;
        const tok = tokens[k]!;
        if (par < 0 || par >= st.size) throw new InvalidArgumentError(`parent ${par} outside [0, ${st.size})`);
        if (tok < 0 || tok >= V) throw new InvalidArgumentError(`token ${tok} outside [0, ${V})`);
        rows.set(st.tokens.subarray(par * st.length, (par + 1) * st.length), k * n);
        rows[k * n + n - 1] = tok;
      }
      const next: PrefixBatch = { size, tokens: rows, length: n, disposed: false };
      return { state: next, logProbs: await logProbs(rows, size, n) };
    },
    dispose(state: StateBatch): void {
      checkState(state).disposed = true;
    },
  };
}
