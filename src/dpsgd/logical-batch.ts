import * as tf from '@tensorflow/tfjs-core';
import type { RandomSource } from '../util/random.js';
import type { NormMethod } from './clipping.js';
import { makeBatch } from './data.js';
import { clippedSum, dropoutMasks, nonPrivateGradient, zeroGrads, type StepGradient } from './gradient.js';
import type { DropoutMasks } from './layers/types.js';
import type { LanguageModel } from './model.js';
import { privatizeGradient } from './noise.js';
import { shardChunks, type ShardPart } from './parallel/shard.js';

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

/** What a set of chunk parts contributes to one logical step, before noise. */
export interface PartialGradient {
  /** Clipped sums (DP) or plain gradients divided by the expected batch size (none); null when no example was seen. */
  readonly sums: Map<string, tf.Tensor> | null;
  readonly lossSum: number;
  readonly tokens: number;
  readonly batchSize: number;
  /** Per-example norms before clipping, in example order (DP only). */
  readonly norms: Float32Array;
}

/** Options of {@link accumulateParts}: {@link LogicalStepOptions} less the chunking. */
export type PartOptions = Omit<LogicalStepOptions, 'physicalBatchSize'>;

/**
 * Dropout masks of a part of physical chunk `part.chunk`: the masks of the whole chunk, from
 * the chunk's own stream, cut to the part's examples, so a part draws what a one-thread run
 * draws for those examples.
 */
function partMasks(model: LanguageModel, T: number, part: ShardPart, o: PartOptions): DropoutMasks | undefined {
  if (model.config.dropout === 0) return undefined;
  // Chunk 0 keeps the unchunked stream name, so an unchunked run draws the same masks as before.
  const masks = dropoutMasks(model, T, part.chunkSize, o.random.fork(`step-${o.step}/dropout${part.chunk === 0 ? '' : `-${part.chunk}`}`));
  if (part.indices.length === part.chunkSize) return masks;
  const cut = new Map<string, tf.Tensor>();
  for (const [name, m] of masks) {
    cut.set(name, tf.slice(m, [0, part.offset, 0], [-1, part.indices.length, -1]));
    m.dispose();
  }
  return cut;
}

/**
 * The clipped sums (or plain gradients) of some parts of a logical batch, added up: the work
 * of one thread. Sums of disjoint parts add up to the whole batch's (up to summation order).
 */
export function accumulateParts(
  model: LanguageModel,
  examples: readonly (Int32Array | readonly number[])[],
  parts: readonly ShardPart[],
  o: PartOptions,
): PartialGradient {
  const V = model.config.vocabSize;
  let acc: Map<string, tf.Tensor> | null = null;
  let lossSum = 0;
  let tokens = 0;
  let batchSize = 0;
  const norms: Float32Array[] = [];
  for (const part of parts) {
    const batch = makeBatch(examples, part.indices, V);
    const masks = partMasks(model, batch.inputs.shape[0], part, o);
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
  return { sums: acc, lossSum, tokens, batchSize, norms: concatNorms(norms) };
}

/** The arrays one after another. */
export function concatNorms(parts: readonly Float32Array[]): Float32Array {
  const all = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let k = 0;
  for (const p of parts) {
    all.set(p, k);
    k += p.length;
  }
  return all;
}

/**
 * Turns the accumulated parts of a whole logical batch into the step's gradient: for DP, noise
 * is added ONCE to the total, which is divided by the expected logical batch size; an empty
 * batch is a noise-only step (zeros without DP). Consumes `partial.sums`.
 */
export function finishLogicalStep(model: LanguageModel, partial: PartialGradient, o: PartOptions): StepGradient {
  const sums = partial.sums ?? zeroGrads(model);
  const { lossSum, tokens, batchSize } = partial;
  if (o.privacy.kind === 'none') return { grads: sums, lossSum, tokens, batchSize, norms: null };
  const grads = privatizeGradient(sums, {
    noiseMultiplier: o.privacy.noiseMultiplier, clipNorm: o.privacy.clipNorm, expectedBatchSize: o.expectedBatchSize, step: o.step, random: o.random,
  });
  return { grads, lossSum, tokens, batchSize, norms: partial.norms };
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
  const parts = shardChunks(physicalChunks(indices, o.physicalBatchSize), 1)[0]!;
  return finishLogicalStep(model, accumulateParts(model, examples, parts, o), o);
}
