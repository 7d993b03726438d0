import * as tf from '@tensorflow/tfjs-core';
import type { Scorer, StateBatch, StepResult } from '../canary/scorer.js';
import { gruCell } from './layers/gru.js';
import { lstmCell } from './layers/lstm.js';
import type { LanguageModel } from './model.js';
import { transformerScorer } from './transformer-scorer.js';
import { InvalidArgumentError } from '../util/errors.js';

/** Recurrent state of a batch: h (and c for LSTM) per layer, [size, H] each. */
interface LmStateBatch extends StateBatch {
  readonly h: tf.Tensor2D[];
  readonly c: tf.Tensor2D[] | null;
  disposed: boolean;
}

/**
 * A Scorer (src/canary/scorer.ts) over a dp-canary language model: next-token
 * log-probabilities in nats. Dropout is off. An empty prefix scores from the zero state
 * (the model was never trained to predict a first token without input, so those
 * probabilities are just softmax(output bias)). advance() gathers the parent rows and runs
 * one step for the whole batch in a few tensor ops; thousands of rows per call are fine.
 * A transformer is scored with a KV cache (transformer-scorer.ts).
 *
 * ```ts
 * import { LanguageModel, initBackend, makeWindows } from 'dp-canary/dpsgd';
 * import { seededRandom } from 'dp-canary/canary';
 * await initBackend();
 * const model = LanguageModel.create({ vocabSize: 5, embeddingDim: 4, hiddenSize: 8, layers: 1, cell: 'lstm', dropout: 0 }, seededRandom(1));
 * const windows = makeWindows(Array.from({ length: 80 }, (_, i) => i % 5), 7); // 10 windows of 8 tokens
 * import { languageModelScorer } from 'dp-canary/dpsgd';
 * const scorer = languageModelScorer(model);
 * const first = await scorer.start([1, 2]); // ln Pr(next token | 1 2), one row of 5
 * scorer.dispose(first.state);
 * ```
 */
export function languageModelScorer(model: LanguageModel): Scorer {
  const c = model.config;
  if (c.cell === 'transformer') {
    const shape = { vocabSize: c.vocabSize, hiddenSize: c.hiddenSize, layers: c.layers, heads: c.heads!, ffnSize: c.ffnSize!, maxLength: c.maxLength! };
    return transformerScorer(shape, (name) => model.param(name));
  }
  const H = c.hiddenSize;
  const V = c.vocabSize;
  const isLstm = c.cell === 'lstm';
  const p = (name: string): tf.Tensor => model.param(name);

  /** One step for rows with states (h, c) fed `tokens`; returns new states and log-probs [n, V]. */
  const step = (h: tf.Tensor2D[], cs: tf.Tensor2D[] | null, tokens: tf.Tensor1D): { h: tf.Tensor2D[]; c: tf.Tensor2D[] | null; logp: tf.Tensor2D } => {
    let x = tf.gather(p('embedding/table'), tokens) as tf.Tensor2D;
    const hs: tf.Tensor2D[] = [];
    const css: tf.Tensor2D[] = [];
    for (let l = 0; l < c.layers; l++) {
      if (isLstm) {
        const zx = tf.add(tf.matMul(x, p(`rnn${l}/W`) as tf.Tensor2D), p(`rnn${l}/b`)) as tf.Tensor2D;
        const next = lstmCell(zx, h[l]!, cs![l]!, p(`rnn${l}/U`) as tf.Tensor2D);
        hs.push(next.h);
        css.push(next.c);
        x = next.h;
      } else {
        const gx = tf.add(tf.matMul(x, p(`rnn${l}/W`) as tf.Tensor2D), p(`rnn${l}/bx`)) as tf.Tensor2D;
        const gh = tf.add(tf.matMul(h[l]!, p(`rnn${l}/U`) as tf.Tensor2D), p(`rnn${l}/bh`)) as tf.Tensor2D;
        x = gruCell(gx, gh, h[l]!);
        hs.push(x);
      }
    }
    return { h: hs, c: isLstm ? css : null, logp: outputLogProbs(x) };
  };

  const outputLogProbs = (h: tf.Tensor2D): tf.Tensor2D =>
    tf.logSoftmax(tf.add(tf.matMul(h, p('output/W') as tf.Tensor2D), p('output/b'))) as tf.Tensor2D;

  const finish = async (h: tf.Tensor2D[], cs: tf.Tensor2D[] | null, logp: tf.Tensor2D, size: number): Promise<StepResult> => {
    const data = (await logp.data()) as Float32Array;
    logp.dispose();
    const state: LmStateBatch = { size, h, c: cs, disposed: false };
    return { state, logProbs: data };
  };

  const checkState = (s: StateBatch): LmStateBatch => {
    const st = s as LmStateBatch;
    if (!Array.isArray(st.h) || st.h.length !== c.layers) throw new InvalidArgumentError('state batch does not belong to this scorer');
    if (st.disposed) throw new InvalidArgumentError('state batch was disposed');
    return st;
  };

  return {
    vocabSize: V,
    async start(prefix: readonly number[]): Promise<StepResult> {
      for (const t of prefix) if (!(Number.isInteger(t) && t >= 0 && t < V)) throw new InvalidArgumentError(`token ${t} outside [0, ${V})`);
      const out = tf.tidy(() => {
        let h = Array.from({ length: c.layers }, () => tf.zeros([1, H]) as tf.Tensor2D);
        let cs = isLstm ? Array.from({ length: c.layers }, () => tf.zeros([1, H]) as tf.Tensor2D) : null;
        let logp = outputLogProbs(h[c.layers - 1]!);
        for (const t of prefix) {
          const r = step(h, cs, tf.tensor1d([t], 'int32'));
          h = r.h;
          cs = r.c;
          logp = r.logp;
        }
        return { h, c: cs ?? [], logp };
      });
      return finish(out.h, isLstm ? out.c : null, out.logp, 1);
    },
    async advance(state: StateBatch, parents: Int32Array, tokens: Int32Array): Promise<StepResult> {
      const st = checkState(state);
      const n = parents.length;
      if (tokens.length !== n) throw new InvalidArgumentError('parents and tokens must have the same length');
      for (let k = 0; k < n; k++) {
        const par = parents[k]!;
        const tok = tokens[k]!;
        if (par < 0 || par >= st.size) throw new InvalidArgumentError(`parent ${par} outside [0, ${st.size})`);
        if (tok < 0 || tok >= V) throw new InvalidArgumentError(`token ${tok} outside [0, ${V})`);
      }
      const out = tf.tidy(() => {
        const idx = tf.tensor1d(parents, 'int32');
        const h = st.h.map((x) => tf.gather(x, idx) as tf.Tensor2D);
        const cs = st.c ? st.c.map((x) => tf.gather(x, idx) as tf.Tensor2D) : null;
        const r = step(h, cs, tf.tensor1d(tokens, 'int32'));
        return { h: r.h, c: r.c ?? [], logp: r.logp };
      });
      return finish(out.h, isLstm ? out.c : null, out.logp, n);
    },
    dispose(state: StateBatch): void {
      const st = checkState(state);
      st.disposed = true;
      tf.dispose([...st.h, ...(st.c ?? [])]);
    },
  };
}
