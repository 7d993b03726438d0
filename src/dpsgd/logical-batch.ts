import * as tf from '@tensorflow/tfjs-core';
import type { RandomSource } from '../util/random.js';
import type { NormMethod } from './per-example/types.js';
import { makeBatch } from './data.js';
import { clippedSum, dropoutMasks, nonPrivateGradient, zeroGrads, type StepGradient } from './gradient.js';
import type { DropoutMasks } from './layers/types.js';
import type { LanguageModel } from './model.js';
import { clipAndAccumulate, privatizeGradient } from './step-stages.js';
import { shardBatch, shardUnits, type Pass } from './parallel/shard.js';
import { InvalidArgumentError } from '../util/errors.js';
import { heapExhausted } from './pass-memory.js';
import { concatTyped } from '../util/typed-arrays.js';

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
  /**
   * A step of privacy units (DP only): the j-th sampled unit's examples are the next unitSizes[j]
   * entries of the indices; each unit is clipped as one example (units.ts) and expectedBatchSize
   * counts units. Absent: every index is its own unit.
   */
  readonly unitSizes?: Int32Array;
}

/** Physical chunks of a logical batch: consecutive slices of at most `size` indices. */
export function physicalChunks(indices: Int32Array, size: number): Int32Array[] {
  if (!(size >= 1)) throw new InvalidArgumentError(`physical batch size must be >= 1, got ${size}`);
  const out: Int32Array[] = [];
  const step = Number.isFinite(size) ? Math.floor(size) : indices.length;
  for (let start = 0; start < indices.length; start += step) out.push(indices.subarray(start, start + step));
  return out;
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
 * Dropout masks of a pass: for each of its segments, the masks of the segment's whole physical
 * chunk (drawn once per chunk from the chunk's own stream, kept in `drawn`), cut to the
 * segment's examples and laid side by side, so a pass draws what a one-thread run draws for
 * those examples.
 */
function passMasks(model: LanguageModel, T: number, pass: Pass, o: PartOptions, drawn: Map<number, DropoutMasks>): DropoutMasks | undefined {
  if (model.config.dropout === 0) return undefined;
  const pieces = pass.segments.map((seg) => {
    let masks = drawn.get(seg.chunk);
    if (!masks) {
      // Chunk 0 keeps the unchunked stream name, so an unchunked run draws the same masks as before.
      masks = dropoutMasks(model, T, seg.chunkSize, o.random.fork(`step-${o.step}/dropout${seg.chunk === 0 ? '' : `-${seg.chunk}`}`));
      drawn.set(seg.chunk, masks);
    }
    return { seg, masks };
  });
  const only = pieces.length === 1 ? pieces[0]! : null;
  if (only && only.seg.length === only.seg.chunkSize) {
    // The pass is one whole chunk (always so in one thread): no other pass needs its masks.
    drawn.delete(only.seg.chunk);
    return only.masks;
  }
  const out = new Map<string, tf.Tensor>();
  for (const name of pieces[0]!.masks.keys()) {
    const cuts = pieces.map(({ seg, masks }) => tf.slice(masks.get(name)!, [0, seg.offset, 0], [-1, seg.length, -1]));
    out.set(name, cuts.length === 1 ? cuts[0]! : tf.concat(cuts, 1));
    if (cuts.length > 1) tf.dispose(cuts);
  }
  return out;
}

/**
 * The clipped sums (or plain gradients) of some passes over a logical batch, added up: the
 * work of one thread. Sums of disjoint passes add up to the whole batch's (up to summation order).
 */
export function accumulateParts(
  model: LanguageModel,
  examples: readonly (Int32Array | readonly number[])[],
  passes: readonly Pass[],
  o: PartOptions,
): PartialGradient {
  const V = model.config.vocabSize;
  let acc: Map<string, tf.Tensor> | null = null;
  let lossSum = 0;
  let tokens = 0;
  let batchSize = 0;
  const norms: Float32Array[] = [];
  const drawn = new Map<number, DropoutMasks>();
  try {
    for (const pass of passes) {
      const batch = makeBatch(examples, pass.indices, V);
      const masks = passMasks(model, batch.inputs.shape[0], pass, o, drawn);
      try {
        if (o.privacy.kind === 'dp') {
          const r = clippedSum(model, batch, { clipNorm: o.privacy.clipNorm, normMethod: o.privacy.normMethod, dropout: masks, ...(pass.units ? { units: pass.units } : {}) });
          acc = clipAndAccumulate(acc, r.sums);
          lossSum += r.lossSum;
          tokens += r.tokens;
          batchSize += r.batchSize;
          norms.push(r.norms);
        } else {
          if (pass.units) throw new InvalidArgumentError('privacy units apply to DP-SGD steps only.');
          const g = nonPrivateGradient(model, batch, o.expectedBatchSize, masks);
          acc = clipAndAccumulate(acc, g.grads);
          lossSum += g.lossSum;
          tokens += g.tokens;
          batchSize += g.batchSize;
        }
      } catch (e) {
        throw heapExhausted(e, batch.inputs.shape[1], batch.inputs.shape[0]) ?? e;
      } finally {
        tf.dispose([batch.inputs, batch.targets]);
        if (masks) tf.dispose([...masks.values()]);
      }
    }
  } finally {
    for (const m of drawn.values()) tf.dispose([...m.values()]);
  }
  return { sums: acc, lossSum, tokens, batchSize, norms: concatTyped(norms, (n) => new Float32Array(n)) };
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
  const passes = (o.unitSizes ? shardUnits(indices, o.unitSizes, o.physicalBatchSize, 1) : shardBatch(indices, o.physicalBatchSize, 1))[0]!;
  return finishLogicalStep(model, accumulateParts(model, examples, passes, o), o);
}
