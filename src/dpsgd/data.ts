import * as tf from '@tensorflow/tfjs-core';
import { InternalError, InvalidArgumentError } from '../util/errors.js';

/**
 * Cut a token stream into disjoint training examples of `seqLen + 1` tokens each (inputs are
 * the first seqLen tokens, targets the last seqLen). THE PRIVACY UNIT IS ONE WINDOW: DP-SGD
 * bounds the influence of each window, so a secret repeated in r windows is protected only at
 * group-privacy strength r. Windows do not overlap, so each token belongs to one example; a
 * trailing remainder shorter than a window is dropped.
 *
 * ```ts
 * import { makeWindows } from 'dp-canary/dpsgd';
 * makeWindows([1, 2, 3, 4, 5, 6, 7], 2); // [Int32Array [1, 2, 3], Int32Array [4, 5, 6]]
 * ```
 */
export function makeWindows(tokens: Int32Array | readonly number[], seqLen: number): Int32Array[] {
  if (!Number.isInteger(seqLen) || seqLen < 1) throw new InvalidArgumentError(`sequence length must be an integer >= 1, got ${seqLen}.`);
  const w = seqLen + 1;
  const out: Int32Array[] = [];
  for (let start = 0; start + w <= tokens.length; start += w) {
    out.push(Int32Array.from(tokens.slice(start, start + w)));
  }
  return out;
}

/** Inputs and targets of a batch, time-major [T, B] int32. */
export interface Batch {
  readonly inputs: tf.Tensor2D;
  readonly targets: tf.Tensor2D;
}

/**
 * Stack examples `indices` of `windows` (all of length T+1) into time-major input/target
 * tensors. Token ids must lie in [0, vocabSize).
 */
export function makeBatch(windows: readonly (Int32Array | readonly number[])[], indices: ArrayLike<number>, vocabSize: number): Batch {
  const B = indices.length;
  if (B === 0) throw new InternalError('makeBatch needs at least one example');
  const T = windows[indices[0]!]!.length - 1;
  const inp = new Int32Array(T * B);
  const tgt = new Int32Array(T * B);
  for (let i = 0; i < B; i++) {
    const w = windows[indices[i]!]!;
    if (w.length !== T + 1) throw new InvalidArgumentError(`all examples must have the same length; found ${w.length} and ${T + 1}.`);
    for (let t = 0; t <= T; t++) {
      const id = w[t]!;
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize) throw new InvalidArgumentError(`token id ${id} is outside the vocabulary [0, ${vocabSize}).`);
      if (t < T) inp[t * B + i] = id;
      if (t > 0) tgt[(t - 1) * B + i] = id;
    }
  }
  return { inputs: tf.tensor2d(inp, [T, B], 'int32'), targets: tf.tensor2d(tgt, [T, B], 'int32') };
}
