import * as tf from '@tensorflow/tfjs-core';
import type { Scorer, StateBatch, StepResult } from '../canary/scorer.js';
import { InvalidArgumentError } from '../util/errors.js';
import { normalizeLastAxis } from './layers/layer-norm.js';
import type { TransformerShape } from './transformer.js';

// Types, not interfaces: tf.tidy returns them (a TensorContainer needs an index signature).
/** A product x W + b by prepared weights. */
type Affine = {
  readonly W: tf.Tensor2D;
  readonly b: tf.Tensor1D;
};

/**
 * The products after a LayerNorm, prepared once per start(): the LayerNorm's gain and shift
 * folded in (LN(x) W + b = xhat (diag(gamma) W) + (beta W + b)), so a step only normalises;
 * 1/sqrt(dh) folded into the q columns of qkv.
 */
type PreparedWeights = {
  readonly layers: Array<{ qkv: Affine; mlpIn: Affine }>;
  readonly output: Affine;
};

/** Keys and values of the prefix run by start(), shared (not copied) by every batch advanced from it. */
interface SharedPrefix {
  /** The weights as they were at start(): the batches advanced from it score with them. */
  readonly weights: PreparedWeights;
  /** Positions 0 .. length-1. */
  readonly length: number;
  /** Per layer: keys transposed [heads, dh, length] (ready to multiply) and values [heads, length, dh]; empty when length = 0. */
  readonly kT: tf.Tensor3D[];
  readonly v: tf.Tensor3D[];
  /** State batches holding it; its tensors are freed when the last one is disposed. */
  refs: number;
}

/** A batch of rows that all hold the same number of positions: the shared prefix, then s positions of their own. */
interface TransformerStateBatch extends StateBatch {
  readonly prefix: SharedPrefix;
  /** Per layer [heads, size, s, dh]: keys of each row's own positions (after the prefix); null when s = 0. */
  readonly k: tf.Tensor4D[] | null;
  readonly v: tf.Tensor4D[] | null;
  /** Positions held per row: prefix.length + s (the next token goes to this position). */
  readonly positions: number;
  disposed: boolean;
}

/** x W + b. */
function affine(x: tf.Tensor2D, a: Affine): tf.Tensor2D {
  return tf.add(tf.matMul(x, a.W), a.b);
}

function preparedTensors(w: PreparedWeights): tf.Tensor[] {
  return [...w.layers.flatMap((l) => [l.qkv, l.mlpIn]), w.output].flatMap((a) => [a.W, a.b]);
}

const GELU_C1 = 2 * Math.sqrt(2 / Math.PI);
const GELU_C3 = GELU_C1 * 0.044715;

/**
 * The contract's GELU, 0.5 u (1 + tanh(sqrt(2/pi) (u + 0.044715 u^3))), written as
 * u sigmoid(2 sqrt(2/pi) (u + 0.044715 u^3)) (0.5 (1 + tanh z) = sigmoid(2z)): six passes over
 * [m, f] instead of nine, and wasm's sigmoid is faster than its tanh.
 */
function gelu(u: tf.Tensor2D): tf.Tensor2D {
  return tf.mul(u, tf.sigmoid(tf.mul(u, tf.add(tf.mul(tf.square(u), GELU_C3), GELU_C1))));
}

/**
 * A Scorer (src/canary/scorer.ts) over a transformer language model (transformer.ts):
 * next-token log-probabilities in nats, dropout off. A state is a KV cache: per
 * layer, the keys and values of every position so far. The prefix run by start() is cached
 * once, [heads, P, dh] per layer, and shared by all batches advanced from it; each row holds
 * only its own positions after the prefix, [heads, rows, s, dh], so advance() gathers O(rows s d)
 * values, not O(rows (P + s) d). Feeding token t at position n computes position n only: its
 * query attends to the shared prefix (one batched product per head) and to the row's own
 * positions (elementwise, s is small in canary trees), so a step costs O(d^2 + n d) per row,
 * as a recurrent step costs O(d^2). An empty prefix has no position to read: its
 * log-probabilities are softmax(output/b), and advancing it puts the first token at position 0.
 * A row may hold at most maxLength positions. start() reads the weights (a state and the
 * batches advanced from it score with the weights as they were then).
 */
export function transformerScorer(shape: TransformerShape, param: (name: string) => tf.Tensor): Scorer {
  const { vocabSize: V, hiddenSize: d, layers: L, heads: H, maxLength } = shape;
  const dh = d / H;
  const scale = 1 / Math.sqrt(dh);
  const p = param;
  const states = new WeakSet<StateBatch>();

  /** LayerNorm `ln`'s gain and shift folded into the product W, b after it, times `factor` (per column). */
  const fold = (ln: string, W: tf.Tensor2D, b: tf.Tensor1D, factor: number | tf.Tensor1D = 1): Affine => {
    const gamma = tf.reshape(p(`${ln}/gamma`), [d, 1]);
    const beta = tf.reshape(p(`${ln}/beta`), [1, d]);
    return {
      W: tf.mul(tf.mul(gamma, W), factor),
      b: tf.mul(tf.add(tf.reshape(tf.matMul(beta, W), [-1]), b), factor),
    };
  };

  const prepare = (): PreparedWeights => {
    // 1/sqrt(dh) of the scores on the q columns.
    const qScale = tf.concat([tf.fill([d], scale), tf.ones([2 * d])]) as tf.Tensor1D;
    return {
      layers: Array.from({ length: L }, (_, l) => {
        return {
          qkv: fold(`block${l}/ln1`, p(`block${l}/attn/Wqkv`) as tf.Tensor2D, p(`block${l}/attn/bqkv`) as tf.Tensor1D, qScale),
          mlpIn: fold(`block${l}/ln2`, p(`block${l}/mlp/W1`) as tf.Tensor2D, p(`block${l}/mlp/b1`) as tf.Tensor1D),
        };
      }),
      output: fold('final/ln', p('output/W') as tf.Tensor2D, p('output/b') as tf.Tensor1D),
    };
  };

  /** [3, H, rows, dh] (q, k, v by heads) of a [rows, 3d] product. */
  const toHeads = (x: tf.Tensor2D): tf.Tensor4D => tf.transpose(tf.reshape(x, [x.shape[0], 3, H, dh]), [1, 2, 0, 3]);

  /**
   * Position `pos` for m rows fed `tokens`: the rows' own earlier keys and values (per layer
   * [H, m, s, dh], already in row order; null when s = 0) and the shared prefix. Returns the
   * caches with this position appended and the next-token log-probabilities [m, V].
   */
  const step = (prefix: SharedPrefix, ks: tf.Tensor4D[] | null, vs: tf.Tensor4D[] | null, tokens: Int32Array, pos: number) => {
    const m = tokens.length;
    const P = prefix.length;
    const tok = tf.tensor1d(tokens, 'int32');
    const position = tf.slice(p('position/table') as tf.Tensor2D, [pos, 0], [1, d]);
    // With more rows than vocabulary entries, run the first layer's input and q/k/v once per
    // token id and gather them: the rows differ only by token there.
    const inputs = m > V ? (tf.add(p('embedding/table'), position) as tf.Tensor2D) : null;
    let x = inputs ? (tf.gather(inputs, tok) as tf.Tensor2D) : (tf.add(tf.gather(p('embedding/table'), tok), position) as tf.Tensor2D);
    const newK: tf.Tensor4D[] = [];
    const newV: tf.Tensor4D[] = [];
    for (let l = 0; l < L; l++) {
      const w = prefix.weights.layers[l]!;
      const perToken = l === 0 && inputs !== null;
      const a = normalizeLastAxis(perToken ? inputs : x);
      const qkv = toHeads(affine(a, w.qkv));
      const [q, k, v] = tf.unstack(perToken ? tf.gather(qkv, tok, 2) : qkv) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
      const kNew = tf.reshape(k, [H, m, 1, dh]) as tf.Tensor4D;
      const vNew = tf.reshape(v, [H, m, 1, dh]) as tf.Tensor4D;
      const kOwn = ks ? (tf.concat([ks[l]!, kNew], 2) as tf.Tensor4D) : kNew;
      const vOwn = vs ? (tf.concat([vs[l]!, vNew], 2) as tf.Tensor4D) : vNew;
      newK.push(kOwn);
      newV.push(vOwn);
      const own = kOwn.shape[2];
      // Softmax over the shared prefix's scores [H, m, P] (one product per head) and the row's
      // own [H, m, own] (elementwise: own is small), kept apart: one max, two exps, one division.
      const ownScores = tf.sum(tf.mul(tf.reshape(q, [H, m, 1, dh]), kOwn), 3) as tf.Tensor3D;
      const prefixScores = P > 0 ? (tf.matMul(q, prefix.kT[l]!) as tf.Tensor3D) : null;
      const top = prefixScores ? tf.maximum(tf.max(ownScores, 2, true), tf.max(prefixScores, 2, true)) : tf.max(ownScores, 2, true);
      const ownWeights = tf.exp(tf.sub(ownScores, top));
      let total = tf.sum(ownWeights, 2, true);
      let heads = tf.sum(tf.mul(tf.reshape(ownWeights, [H, m, own, 1]), vOwn), 2) as tf.Tensor3D;
      if (prefixScores) {
        const prefixWeights = tf.exp(tf.sub(prefixScores, top));
        total = tf.add(total, tf.sum(prefixWeights, 2, true));
        heads = tf.add(heads, tf.matMul(prefixWeights, prefix.v[l]!));
      }
      const o = tf.reshape(tf.transpose(tf.div(heads, total), [1, 0, 2]), [m, d]) as tf.Tensor2D;
      x = tf.add(x, tf.add(tf.matMul(o, p(`block${l}/attn/Wo`) as tf.Tensor2D), p(`block${l}/attn/bo`)));
      const hidden = gelu(affine(normalizeLastAxis(x), w.mlpIn));
      x = tf.add(x, tf.add(tf.matMul(hidden, p(`block${l}/mlp/W2`) as tf.Tensor2D), p(`block${l}/mlp/b2`)));
    }
    return { k: newK, v: newV, logp: tf.logSoftmax(affine(normalizeLastAxis(x), prefix.weights.output)) as tf.Tensor2D };
  };

  const finish = async (
    prefix: SharedPrefix,
    k: tf.Tensor4D[] | null,
    v: tf.Tensor4D[] | null,
    positions: number,
    logp: tf.Tensor2D,
    size: number,
  ): Promise<StepResult> => {
    const data = (await logp.data()) as Float32Array;
    logp.dispose();
    prefix.refs++;
    const state: TransformerStateBatch = { size, prefix, k, v, positions, disposed: false };
    states.add(state);
    return { state, logProbs: data };
  };

  const checkState = (s: StateBatch): TransformerStateBatch => {
    if (!states.has(s)) throw new InvalidArgumentError('state batch does not belong to this scorer');
    const st = s as TransformerStateBatch;
    if (st.disposed) throw new InvalidArgumentError('state batch was disposed');
    return st;
  };

  const checkToken = (t: number): void => {
    if (!(Number.isInteger(t) && t >= 0 && t < V)) throw new InvalidArgumentError(`token ${t} outside [0, ${V})`);
  };

  return {
    vocabSize: V,
    maxLength,
    async start(prefix: readonly number[]): Promise<StepResult> {
      if (prefix.length > maxLength) {
        throw new InvalidArgumentError(`a prefix of ${prefix.length} tokens is longer than the transformer's maxLength ${maxLength}`);
      }
      prefix.forEach(checkToken);
      const out = tf.tidy(() => {
        // One row, one position at a time: its own cache grows, then becomes the shared prefix.
        const weights = prepare();
        const none: SharedPrefix = { weights, length: 0, kT: [], v: [], refs: 0 };
        let k: tf.Tensor4D[] | null = null;
        let v: tf.Tensor4D[] | null = null;
        let logp = tf.logSoftmax(tf.reshape(p('output/b'), [1, V])) as tf.Tensor2D;
        for (let pos = 0; pos < prefix.length; pos++) {
          const r = step(none, k, v, Int32Array.of(prefix[pos]!), pos);
          k = r.k;
          v = r.v;
          logp = r.logp;
        }
        const asPrefix = (c: tf.Tensor4D[] | null): tf.Tensor3D[] => (c ?? []).map((t) => tf.reshape(t, [H, prefix.length, dh]) as tf.Tensor3D);
        return { weights, kT: asPrefix(k).map((t) => tf.transpose(t, [0, 2, 1])), v: asPrefix(v), logp };
      });
      const shared: SharedPrefix = { weights: out.weights, length: prefix.length, kT: out.kT, v: out.v, refs: 0 };
      return finish(shared, null, null, prefix.length, out.logp, 1);
    },
    async advance(state: StateBatch, parents: Int32Array, tokens: Int32Array): Promise<StepResult> {
      const st = checkState(state);
      const n = parents.length;
      if (tokens.length !== n) throw new InvalidArgumentError('parents and tokens must have the same length');
      if (st.positions >= maxLength) {
        throw new InvalidArgumentError(`a prefix of ${st.positions + 1} tokens is longer than the transformer's maxLength ${maxLength}`);
      }
      for (let r = 0; r < n; r++) {
        const par = parents[r]!;
        if (!(par >= 0 && par < st.size)) throw new InvalidArgumentError(`parent ${par} outside [0, ${st.size})`);
        checkToken(tokens[r]!);
      }
      const out = tf.tidy(() => {
        const idx = tf.tensor1d(parents, 'int32');
        const rows = (c: tf.Tensor4D[] | null): tf.Tensor4D[] | null => (c ? c.map((t) => tf.gather(t, idx, 1) as tf.Tensor4D) : null);
        return step(st.prefix, rows(st.k), rows(st.v), tokens, st.positions);
      });
      return finish(st.prefix, out.k, out.v, st.positions + 1, out.logp, n);
    },
    dispose(state: StateBatch): void {
      const st = checkState(state);
      st.disposed = true;
      tf.dispose([...(st.k ?? []), ...(st.v ?? [])]);
      if (--st.prefix.refs === 0) tf.dispose([...st.prefix.kT, ...st.prefix.v, ...preparedTensors(st.prefix.weights)]);
    },
  };
}
