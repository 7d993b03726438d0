import * as tf from '@tensorflow/tfjs-core';
import type { RandomSource } from '../util/random.js';
import type { NormMethod } from './clipping.js';
import { makeBatch } from './data.js';
import { clippedSum, dropoutMasks, nonPrivateGradient, zeroGrads, type StepGradient } from './gradient.js';
import type { LanguageModel } from './model.js';
import { privatizeGradient } from './noise.js';

/** How one logical step treats privacy: DP-SGD (clip + noise) or a plain minibatch step. */
export type LogicalStepPrivacy =
  | { readonly kind: 'none' }
  | { readonly kind: 'dp'; readonly clipNorm: number; readonly noiseMultiplier: number; readonly normMethod?: NormMethod | 'reference' };

/** Options of {@link logicalBatchGradient}. */
export interface LogicalStepOptions {
  readonly privacy: LogicalStepPrivacy;
  /** Largest number of examples in one forward/backward pass (>= 1; Infinity: the whole logical batch at once). */
  readonly physicalBatchSize: number;
  /** q * N: the (noised) sum is divided by this, the EXPECTED logical batch size. */
  readonly expectedBatchSize: number;
  /** 0-based logical step index: selects the noise and dropout streams. */
  readonly step: number;
  /** The run's root random source (noise: fork("step-t/param-p"); dropout: fork("step-t/dropout[-c]")). */
  readonly random: RandomSource;
}

/** Physical chunks of a logical batch: consecutive slices of at most `size` indices. */
export function physicalChunks(indices: Int32Array, size: number): Int32Array[] {
  if (!(size >= 1)) throw new RangeError(`physical batch size must be >= 1, got ${size}`);
  const out: Int32Array[] = [];
  const step = Number.isFinite(size) ? Math.floor(size) : indices.length;
  for (let start = 0; start < indices.length; start += step) out.push(indices.subarray(start, start + step));
  return out;
}

/** Adds `add` into the accumulator (consuming both tensors of each pair); null starts one. */
export function addInto(acc: Map<string, tf.Tensor> | null, add: Map<string, tf.Tensor>): Map<string, tf.Tensor> {
  if (acc === null) return add;
  for (const [name, t] of add) {
    const prev = acc.get(name)!;
    acc.set(name, tf.add(prev, t));
    tf.dispose([prev, t]);
  }
  return acc;
}

/**
 * The gradient of one logical (Poisson-sampled) batch, processed in physical chunks of at most
 * `physicalBatchSize` examples, as Opacus's BatchMemoryManager does: each chunk's clipped sum
 * (or plain gradient) is accumulated, then noise is added ONCE to the total and it is divided
 * by the expected logical batch size. The mechanism, and so the privacy accounting, is that of
 * one step at sampling rate q = expected logical size / N, whatever the chunking; peak memory
 * is that of one chunk plus one accumulator per parameter. An empty logical batch is a
 * noise-only step. Chunking changes only floating-point summation order (and, with dropout,
 * which stream draws each chunk's masks).
 */
export function logicalBatchGradient(
  model: LanguageModel,
  examples: readonly (Int32Array | readonly number[])[],
  indices: Int32Array,
  o: LogicalStepOptions,
): StepGradient {
  const V = model.config.vocabSize;
  const chunks = physicalChunks(indices, o.physicalBatchSize);
  let acc: Map<string, tf.Tensor> | null = null;
  let lossSum = 0;
  let tokens = 0;
  let batchSize = 0;
  const norms: Float32Array[] = [];
  for (const [c, chunk] of chunks.entries()) {
    const batch = makeBatch(examples, chunk, V);
    const [T, B] = batch.inputs.shape;
    // Chunk 0 keeps the unchunked stream name, so an unchunked run draws the same masks as before.
    const masks = model.config.dropout > 0 ? dropoutMasks(model, T, B, o.random.fork(`step-${o.step}/dropout${c === 0 ? '' : `-${c}`}`)) : undefined;
    try {
      if (o.privacy.kind === 'dp') {
        const r = clippedSum(model, batch, { clipNorm: o.privacy.clipNorm, normMethod: o.privacy.normMethod, dropout: masks });
        acc = addInto(acc, r.sums);
        lossSum += r.lossSum;
        tokens += r.tokens;
        batchSize += r.batchSize;
        norms.push(r.norms);
      } else {
        const g = nonPrivateGradient(model, batch, o.expectedBatchSize, masks);
        acc = addInto(acc, g.grads);
        lossSum += g.lossSum;
        tokens += g.tokens;
        batchSize += g.batchSize;
      }
    } finally {
      tf.dispose([batch.inputs, batch.targets]);
      if (masks) tf.dispose([...masks.values()]);
    }
  }
  if (o.privacy.kind === 'none') return { grads: acc ?? zeroGrads(model), lossSum, tokens, batchSize, norms: null };
  const sums = acc ?? zeroGrads(model);
  const grads = privatizeGradient(sums, {
    noiseMultiplier: o.privacy.noiseMultiplier, clipNorm: o.privacy.clipNorm, expectedBatchSize: o.expectedBatchSize, step: o.step, random: o.random,
  });
  const all = new Float32Array(batchSize);
  let k = 0;
  for (const n of norms) {
    all.set(n, k);
    k += n.length;
  }
  return { grads, lossSum, tokens, batchSize, norms: all };
}
