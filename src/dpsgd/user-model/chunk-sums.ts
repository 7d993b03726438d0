/**
 * Stages 2-3 of a user model's DP-SGD step (step-stages.ts): per-sample norms and clip and
 * accumulate over the passes of a logical batch. The same function runs in the caller's thread
 * (threads: 1) and in each UserModelPool worker on its share of the batch, so both compute the
 * same terms and differ only in the order the shares are added.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { clipAndAccumulate } from '../step-stages.js';
import { concatTyped } from '../../util/typed-arrays.js';
import { exactClippedChunk, exactUnitClippedChunk, fastClippedChunk, fastUnitClippedChunk, plainChunk, tapsPlainChunk, type ChunkGradient, type UnitChunk } from './gradient.js';
import type { PerExampleLoss } from './losses.js';

/** How a chunk's gradient is computed: fixed for a run. */
export interface ChunkSpec {
  readonly loss: PerExampleLoss;
  /** null: the non-private baseline (plain sums, no norms). */
  readonly clipNorm: number | null;
  /** Private runs: the layer rules ('fast') or one example at a time ('exact'). */
  readonly mode: 'fast' | 'exact' | 'non-private';
  /** Non-private runs: through the layer rules or tfjs autodiff. */
  readonly plainMode: 'rules' | 'autodiff';
}

/** One forward/backward pass: rows of the training data, and for privacy units their layout. */
export interface FitPass {
  readonly indices: Int32Array;
  readonly units?: UnitChunk;
}

/** The accumulated sums of a set of passes, their loss sum and per-example (or per-unit) norms in pass order. */
export interface PassSums {
  /** By weight (variable) name; null when there was no pass. */
  readonly acc: Map<string, tf.Tensor> | null;
  readonly lossSum: number;
  readonly norms: Float32Array;
}

function chunkGradient(model: LayersModel, xb: tf.Tensor[], yb: tf.Tensor, spec: ChunkSpec, units: UnitChunk | undefined): ChunkGradient {
  const { loss, clipNorm, mode } = spec;
  if (units) return mode === 'fast' ? fastUnitClippedChunk(model, xb, yb, loss, clipNorm!, units) : exactUnitClippedChunk(model, xb, yb, loss, clipNorm!, units);
  if (clipNorm === null) return spec.plainMode === 'rules' ? tapsPlainChunk(model, xb, yb, loss) : plainChunk(model, xb, yb, loss);
  return mode === 'fast' ? fastClippedChunk(model, xb, yb, loss, clipNorm) : exactClippedChunk(model, xb, yb, loss, clipNorm);
}

/** Runs each pass (gathering its rows of `xs` and `y`) and accumulates the clipped (or plain) sums. */
export function passSums(model: LayersModel, xs: readonly tf.Tensor[], y: tf.Tensor, spec: ChunkSpec, passes: readonly FitPass[]): PassSums {
  let acc: Map<string, tf.Tensor> | null = null;
  let lossSum = 0;
  const norms: Float32Array[] = [];
  for (const pass of passes) {
    const xb = xs.map((x) => tf.gather(x, pass.indices));
    const yb = tf.gather(y, pass.indices);
    let g: ChunkGradient;
    try {
      g = chunkGradient(model, xb, yb, spec, pass.units);
    } finally {
      tf.dispose([...xb, yb]);
    }
    lossSum += g.lossSum;
    norms.push(g.norms);
    acc = clipAndAccumulate(acc, g.sums);
  }
  return { acc, lossSum, norms: concatTyped(norms, (n) => new Float32Array(n)) };
}
