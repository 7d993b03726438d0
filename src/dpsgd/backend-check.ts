/**
 * Self-check of a tfjs backend at first use: a tiny DP-SGD step (per-example gradient norms
 * and the clipped gradient sum, by both norm methods) and a scoring pass (next-token
 * log-probabilities) are computed on the backend and on the pure-JavaScript cpu backend, the
 * reference, and compared. A native or wasm backend whose kernels are missing or wrong would
 * otherwise train and measure with wrong numbers without a word: the privacy guarantee rests on
 * the clipping being right.
 */
import * as tf from '@tensorflow/tfjs-core';
import { seededRandom } from '../util/random.js';
import { clipPass } from './per-example/clip.js';
import type { NormMethod } from './per-example/types.js';
import { makeBatch } from './data.js';
import { LanguageModel, type LanguageModelConfig } from './model.js';
import { languageModelScorer } from './scorer.js';
import { forwardWithTaps, type TapPass } from './taps.js';
import { concatTyped } from '../util/typed-arrays.js';

/** Largest difference accepted, relative to the figure's scale (max(1, max |reference|)). */
export const SELF_CHECK_TOLERANCE = 1e-4;

// Two stacked LSTM layers exercise every kernel a training step and a scoring pass use.
const MODEL: LanguageModelConfig = { vocabSize: 13, embeddingDim: 5, hiddenSize: 7, layers: 2, cell: 'lstm', dropout: 0 };
const SEQ = 6;
const BATCH = 5;
const METHODS: readonly NormMethod[] = ['ghost', 'materialize'];

/** What the check compares, each as a flat array. */
interface Figures {
  norms: Float32Array;
  clippedSum: Float32Array;
  logProbs: Float32Array;
}

const LABELS: Record<keyof Figures, string> = {
  norms: 'per-example gradient norms',
  clippedSum: 'clipped gradient sums',
  logProbs: 'log-probabilities',
};

const concat = (parts: readonly Float32Array[]): Float32Array => concatTyped(parts, (n) => new Float32Array(n));

/**
 * The figures on the active backend, from fixed seeded weights and data. `clipNorm` undefined:
 * the median per-example norm (so some examples are clipped and some not), returned with them.
 */
async function figures(clipNorm?: number): Promise<Figures & { clipNorm: number }> {
  const random = seededRandom('dp-canary backend self-check');
  const model = LanguageModel.create(MODEL, random);
  const windows = Array.from({ length: BATCH }, () => Array.from({ length: SEQ + 1 }, () => random.int(MODEL.vocabSize)));
  const batch = makeBatch(windows, Array.from({ length: BATCH }, (_, i) => i), MODEL.vocabSize);
  let pass: TapPass | undefined;
  try {
    pass = forwardWithTaps(model, batch.inputs, batch.targets);
    let clip = clipNorm;
    if (clip === undefined) {
      const r = clipPass(pass, Infinity, 'ghost', false);
      const sorted = Float32Array.from(await r.squaredNorms.data(), Math.sqrt).sort();
      r.squaredNorms.dispose();
      clip = sorted[Math.floor(BATCH / 2)]!;
    }
    const norms: Float32Array[] = [];
    const sums: Float32Array[] = [];
    for (const method of METHODS) {
      const r = clipPass(pass, clip, method);
      norms.push(Float32Array.from(await r.squaredNorms.data(), Math.sqrt));
      r.squaredNorms.dispose();
      for (const name of model.params.keys()) sums.push((await r.sums.get(name)!.data()) as Float32Array);
      tf.dispose([...r.sums.values()]);
    }
    const scorer = languageModelScorer(model);
    const first = await scorer.start([1, 2, 3]);
    const next = await scorer.advance(first.state, Int32Array.from([0, 0, 0]), Int32Array.from([4, 5, 6]));
    scorer.dispose(first.state);
    scorer.dispose(next.state);
    return { norms: concat(norms), clippedSum: concat(sums), logProbs: concat([first.logProbs, next.logProbs]), clipNorm: clip };
  } finally {
    pass?.dispose();
    batch.inputs.dispose();
    batch.targets.dispose();
    for (const v of model.params.values()) v.dispose();
  }
}

/** Largest |a - b| over the scale of b; Infinity when the lengths differ or a value is not finite. */
function relativeDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let scale = 1;
  for (const v of b) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : d;
  }
  return worst / scale;
}

/** Makes `name` the active backend; the cpu backend's "install tfjs-node" banner is ours to give. */
export async function activateBackend(name: string): Promise<boolean> {
  const ok = await tf.setBackend(name);
  if (ok && name === 'cpu') {
    const cpu = tf.backend() as unknown as { firstUse?: boolean };
    if (cpu.firstUse === true) cpu.firstUse = false;
  }
  return ok;
}

/**
 * Compares backend `name` (registered and initialised) with the cpu backend on a tiny DP step
 * and scoring pass. Returns undefined when they agree to SELF_CHECK_TOLERANCE, else one phrase
 * saying what differs or failed. Leaves `name` the active backend when it can.
 */
export async function selfCheckBackend(name: string): Promise<string | undefined> {
  let reference: Figures & { clipNorm: number };
  try {
    await activateBackend('cpu');
    reference = await figures();
  } finally {
    await activateBackend(name);
  }
  let got: Figures;
  try {
    got = await figures(reference.clipNorm);
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    return `the self-check failed with an error (${text.split('\n')[0]})`;
  }
  for (const key of Object.keys(LABELS) as (keyof Figures)[]) {
    const d = relativeDifference(got[key], reference[key]);
    if (!(d <= SELF_CHECK_TOLERANCE)) {
      return `its ${LABELS[key]} differ from the cpu backend's by ${Number.isFinite(d) ? d.toExponential(1) : 'a non-finite amount'} (tolerance ${SELF_CHECK_TOLERANCE})`;
    }
  }
  return undefined;
}
