import * as tf from '@tensorflow/tfjs-core';
import { makeBatch } from './data.js';
import { sequenceCrossEntropy } from './layers/loss.js';
import type { LanguageModel } from './model.js';

/** Held-out loss of a model. */
export interface Evaluation {
  /** Mean cross-entropy per predicted token, nats. */
  readonly loss: number;
  /** exp(loss). */
  readonly perplexity: number;
  /** loss / ln 2: bits per token (bits per character for a char model). */
  readonly bitsPerToken: number;
  readonly tokens: number;
}

/**
 * Mean per-token cross-entropy (no dropout) over windows of seqLen+1 tokens, in batches.
 *
 * ```ts
 * import { LanguageModel, initBackend, makeWindows } from 'dp-canary/dpsgd';
 * import { seededRandom } from 'dp-canary/canary';
 * await initBackend();
 * const model = LanguageModel.create({ vocabSize: 5, embeddingDim: 4, hiddenSize: 8, layers: 1, cell: 'lstm', dropout: 0 }, seededRandom(1));
 * const windows = makeWindows(Array.from({ length: 80 }, (_, i) => i % 5), 7); // 10 windows of 8 tokens
 * import { evaluate } from 'dp-canary/dpsgd';
 * evaluate(model, windows).bitsPerToken; // about log2(5) = 2.3 for an untrained model
 * ```
 */
export function evaluate(model: LanguageModel, windows: readonly (Int32Array | readonly number[])[], batchSize = 64): Evaluation {
  let sum = 0;
  let tokens = 0;
  for (let start = 0; start < windows.length; start += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, windows.length - start) }, (_, k) => start + k);
    const b = makeBatch(windows, idx, model.config.vocabSize);
    sum += tf.tidy(() => tf.sum(sequenceCrossEntropy(model.forward(b.inputs), b.targets)).dataSync()[0]!);
    tokens += b.inputs.size;
    tf.dispose([b.inputs, b.targets]);
  }
  const loss = tokens > 0 ? sum / tokens : NaN;
  return { loss, perplexity: Math.exp(loss), bitsPerToken: loss / Math.LN2, tokens };
}

/**
 * Each example's summed cross-entropy (nats, no dropout) for the windows at `indices`, in order:
 * how a step finds the examples whose own loss is not finite.
 */
export function perExampleLosses(model: LanguageModel, windows: readonly (Int32Array | readonly number[])[], indices: ArrayLike<number>): Float32Array {
  if (indices.length === 0) return new Float32Array(0);
  const b = makeBatch(windows, indices, model.config.vocabSize);
  try {
    return tf.tidy(() => sequenceCrossEntropy(model.forward(b.inputs), b.targets).dataSync() as Float32Array).slice();
  } finally {
    tf.dispose([b.inputs, b.targets]);
  }
}
