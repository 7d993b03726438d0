import * as tf from '@tensorflow/tfjs-core';
// The Node build of tfjs-core registers no gradients; tfjs-layers' Node build registers them all.
import '@tensorflow/tfjs-layers';
import type { RandomSource } from '../util/random.js';
import { clipPass } from './per-example/clip.js';
import { clipMaterialized, materializedPerExampleGradients } from './per-example/reference.js';
import type { NormMethod } from './per-example/types.js';
import type { Batch } from './data.js';
import { sequenceCrossEntropy } from './layers/loss.js';
import type { DropoutMasks } from './layers/types.js';
import type { LanguageModel } from './model.js';
import { privatizeGradient } from './step-stages.js';
import type { UnitRows } from './parallel/shard.js';
import { forwardWithTaps, groupTapsByUnit } from './taps.js';
import { InvalidArgumentError } from '../util/errors.js';

/** A gradient ready for the optimizer, plus what the step reports. */
export interface StepGradient {
  /** By parameter name; the caller disposes. */
  readonly grads: Map<string, tf.Tensor>;
  /** Summed cross-entropy of the batch in nats (0 for an empty batch). */
  readonly lossSum: number;
  /** Number of predicted tokens in the batch (T * B). */
  readonly tokens: number;
  /** Number of examples in the batch. */
  readonly batchSize: number;
  /** Per-example gradient norms before clipping (private steps only). */
  readonly norms: Float32Array | null;
}

/** Dropout masks (scaled by 1/(1-rate)) for every site of a [T, B] forward, drawn from `random`. */
export function dropoutMasks(model: LanguageModel, T: number, B: number, random: RandomSource): DropoutMasks {
  const rate = model.config.dropout;
  const out = new Map<string, tf.Tensor>();
  if (rate === 0) return out;
  const keep = 1 / (1 - rate);
  for (const site of model.dropoutSites(T, B)) {
    const n = site.shape[0] * site.shape[1] * site.shape[2];
    const m = new Float32Array(n);
    for (let k = 0; k < n; k++) m[k] = random.uniform() >= rate ? keep : 0;
    out.set(site.name, tf.tensor(m, site.shape, 'float32'));
  }
  return out;
}

export function zeroGrads(model: LanguageModel): Map<string, tf.Tensor> {
  return new Map([...model.params].map(([n, v]) => [n, tf.zerosLike(v) as tf.Tensor]));
}

export interface PrivateGradientOptions {
  /** L2 clip norm C > 0 of each example's whole gradient (Infinity: no clipping). */
  readonly clipNorm: number;
  /** sigma >= 0: noise standard deviation is sigma * C per coordinate. */
  readonly noiseMultiplier: number;
  /** q * N: the clipped, noised sum is divided by this (see privatizeGradient). */
  readonly expectedBatchSize: number;
  /** 0-based step index: selects the noise streams. */
  readonly step: number;
  /** Root noise source (noise of param p at step t comes from fork("step-t/param-p")). */
  readonly random: RandomSource;
  readonly normMethod?: NormMethod | 'reference';
  readonly dropout?: DropoutMasks;
}

/** Per-example clipped gradients of one batch, summed (before noise). */
export interface ClippedSum {
  /** sum_i clip_C(grad_i) by parameter name; the caller disposes. */
  readonly sums: Map<string, tf.Tensor>;
  /** Summed cross-entropy of the batch in nats. */
  readonly lossSum: number;
  /** Number of predicted tokens in the batch (T * B). */
  readonly tokens: number;
  readonly batchSize: number;
  /** Per-example (per-unit, for a pass of units) gradient norms before clipping. */
  readonly norms: Float32Array;
}

/**
 * sum_i clip_C(grad_i) over one (physical) batch: one forward/backward with taps -> per-example
 * norms -> clip factors -> clipped sum by one weighted contraction. No noise: sums of several
 * chunks of one logical batch add up to the sum over the whole batch.
 * With `units` (a pass of privacy units, rows laid out as UnitRows says) each UNIT is one
 * example: its gradient is the weighted sum of its rows' gradients (the mean of its windows),
 * clipped as a whole; norms and batchSize are per unit, lossSum and tokens count real rows only.
 */
export function clippedSum(
  model: LanguageModel,
  batch: Batch,
  o: { readonly clipNorm: number; readonly normMethod?: NormMethod | 'reference'; readonly dropout?: DropoutMasks; readonly units?: UnitRows },
): ClippedSum {
  const [T, B] = batch.inputs.shape;
  if (o.units && o.dropout && o.dropout.size > 0) throw new InvalidArgumentError('dropout is not supported with privacy units larger than one window.');
  const rowPass = forwardWithTaps(model, batch.inputs, batch.targets, o.dropout, o.units?.weights);
  const pass = o.units ? groupTapsByUnit(rowPass, o.units.count) : rowPass;
  try {
    let sums: Map<string, tf.Tensor>;
    let sq: tf.Tensor1D;
    if (o.normMethod === 'reference') {
      const perEx = materializedPerExampleGradients(pass);
      const r = clipMaterialized(perEx, o.clipNorm);
      tf.dispose([...perEx.values()]);
      sums = r.sums;
      sq = r.squaredNorms;
    } else {
      const r = clipPass(pass, o.clipNorm, o.normMethod ?? 'auto');
      sums = r.sums;
      sq = r.squaredNorms;
    }
    const norms = Float32Array.from(sq.dataSync(), Math.sqrt);
    sq.dispose();
    if (!o.units) {
      const lossSum = tf.tidy(() => tf.sum(pass.perExampleLoss).dataSync()[0]!);
      return { sums, lossSum, tokens: T * B, batchSize: B, norms };
    }
    // Padding rows (weight 0) are not data: leave them out of the reported loss.
    const rowLoss = rowPass.perExampleLoss.dataSync();
    const w = o.units.weights;
    let lossSum = 0;
    let rows = 0;
    for (let i = 0; i < B; i++) {
      if (w[i]! > 0) {
        lossSum += rowLoss[i]!;
        rows++;
      }
    }
    return { sums, lossSum, tokens: T * rows, batchSize: o.units.count, norms };
  } finally {
    if (pass !== rowPass) pass.dispose();
    rowPass.dispose();
  }
}

/**
 * The DP-SGD gradient of one Poisson batch (null = empty batch, a noise-only step):
 * clippedSum -> + N(0, sigma^2 C^2) -> / (q N).
 */
export function privateGradient(model: LanguageModel, batch: Batch | null, o: PrivateGradientOptions): StepGradient {
  if (batch === null) {
    return { grads: privatizeGradient(zeroGrads(model), o), lossSum: 0, tokens: 0, batchSize: 0, norms: new Float32Array(0) };
  }
  const c = clippedSum(model, batch, o);
  return { grads: privatizeGradient(c.sums, o), lossSum: c.lossSum, tokens: c.tokens, batchSize: c.batchSize, norms: c.norms };
}

/**
 * Plain (non-private) gradient of the same batch by ordinary tfjs autodiff on the weights:
 * sum of per-example losses / denominator, no clipping, no noise. The baseline.
 */
export function nonPrivateGradient(model: LanguageModel, batch: Batch | null, denominator: number, dropout?: DropoutMasks): StepGradient {
  if (batch === null) return { grads: zeroGrads(model), lossSum: 0, tokens: 0, batchSize: 0, norms: null };
  const [T, B] = batch.inputs.shape;
  const vars = [...model.params.values()];
  const { value, grads } = tf.variableGrads(() => tf.sum(sequenceCrossEntropy(model.forward(batch.inputs, { dropout }), batch.targets)) as tf.Scalar, vars);
  const lossSum = value.dataSync()[0]!;
  value.dispose();
  const out = new Map<string, tf.Tensor>();
  for (const [name, v] of model.params) {
    const g = grads[v.name]!;
    out.set(name, tf.tidy(() => tf.div(g, tf.scalar(denominator))));
    g.dispose();
  }
  return { grads: out, lossSum, tokens: T * B, batchSize: B, norms: null };
}
