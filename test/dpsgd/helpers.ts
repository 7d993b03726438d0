import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// The Node build of tfjs-core registers no gradients; tfjs-layers' Node build registers them all.
import '@tensorflow/tfjs-layers';
import { seededRandom } from '../../src/util/random.js';
import { LanguageModel, type LanguageModelConfig } from '../../src/dpsgd/model.js';
import { sequenceCrossEntropy } from '../../src/dpsgd/layers/loss.js';
import { makeBatch } from '../../src/dpsgd/data.js';
import { initBackend } from '../../src/dpsgd/backend.js';
import { afterAll, beforeAll } from 'vitest';

/**
 * Runs this test file on the wasm backend (with dp-canary's kernels) and restores the backend
 * that was active before it (if any) when the file ends. Call at the file's top level.
 */
export function useWasmForFile(): void {
  let previous: string | null = null;
  beforeAll(async () => {
    const active: unknown = tf.engine().backendName;
    previous = typeof active === 'string' ? active : null;
    await initBackend('wasm');
  });
  afterAll(async () => {
    if (previous !== null) await tf.setBackend(previous);
  });
}

export async function useCpu(): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
}

export function tinyModel(over: Partial<LanguageModelConfig> = {}, seed = 'model'): LanguageModel {
  return LanguageModel.create({ vocabSize: 7, embeddingDim: 3, hiddenSize: 4, layers: 1, cell: 'lstm', dropout: 0, ...over }, seededRandom(seed));
}

/** Random windows of length T+1 over a vocabulary, from a fixed seed. */
export function randomWindows(n: number, T: number, vocab: number, seed = 'data'): Int32Array[] {
  const r = seededRandom(seed);
  return Array.from({ length: n }, () => Int32Array.from({ length: T + 1 }, () => r.int(vocab)));
}

/**
 * Brute force, one example at a time: tfjs autodiff of that example's loss w.r.t. the weights
 * (independent of the tap machinery), then norms, clipping and sums in float64 JS.
 */
/**
 * The clipping tests' fixture: a tiny model of `config`, B windows of T tokens (the first repeats
 * tokens, so an embedding's [x_t == x_s] terms count), the brute-force per-example norms and a clip
 * norm at their median (some examples clipped, some not) with the brute-force clipped sums.
 */
export function clippingFixture(config: Partial<LanguageModelConfig>, T: number, B: number) {
  const model = tinyModel(config);
  const windows = randomWindows(B, T, model.config.vocabSize);
  windows[0]!.set([1, 1, 2, 1, 2, 1]);
  const brute = bruteForce(model, windows, Infinity);
  const clip = [...brute.norms].sort((a, b) => a - b)[Math.floor(B / 2)]!;
  return { model, windows, brute, clip, bruteClipped: bruteForce(model, windows, clip) };
}

export function bruteForce(
  model: LanguageModel,
  windows: Int32Array[],
  clipNorm: number,
  dropout?: ReadonlyMap<string, tf.Tensor>,
): { norms: number[]; sums: Map<string, Float64Array> } {
  const names = [...model.params.keys()];
  const sums = new Map<string, Float64Array>(names.map((n) => [n, new Float64Array(model.param(n).size)]));
  const norms: number[] = [];
  for (let i = 0; i < windows.length; i++) {
    const batch = makeBatch(windows, [i], model.config.vocabSize);
    // Example i's own dropout masks: column i of each [T, B, D] mask.
    const masks = dropout
      ? new Map([...dropout].map(([k, m]) => [k, tf.slice(m, [0, i, 0], [m.shape[0]!, 1, m.shape[2]!])]))
      : undefined;
    const { grads, value } = tf.variableGrads(
      () => tf.sum(sequenceCrossEntropy(model.forward(batch.inputs, { dropout: masks }), batch.targets)) as tf.Scalar,
    );
    if (masks) tf.dispose([...masks.values()]);
    value.dispose();
    batch.inputs.dispose();
    batch.targets.dispose();
    const data = new Map<string, Float32Array>();
    for (const n of names) {
      const v = model.param(n);
      const g = grads[v.name];
      data.set(n, g ? (g.dataSync() as Float32Array) : new Float32Array(v.size));
    }
    tf.dispose(Object.values(grads));
    let sq = 0;
    for (const d of data.values()) for (const x of d) sq += x * x;
    const norm = Math.sqrt(sq);
    norms.push(norm);
    const c = Math.min(1, clipNorm / (norm + 1e-6));
    for (const n of names) {
      const s = sums.get(n)!;
      const d = data.get(n)!;
      for (let k = 0; k < d.length; k++) s[k]! += c * d[k]!;
    }
  }
  return { norms, sums };
}

/** max |a - b| / max(max|b|, floor): relative error against the scale of the reference. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-12): number {
  let num = 0;
  let den = floor;
  for (let k = 0; k < b.length; k++) {
    num = Math.max(num, Math.abs(a[k]! - b[k]!));
    den = Math.max(den, Math.abs(b[k]!));
  }
  return num / den;
}
