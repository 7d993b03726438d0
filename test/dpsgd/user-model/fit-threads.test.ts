/**
 * fitPrivately with threads > 1: workers rebuild the model from its topology and clip their
 * shares of each logical batch; the caller adds the shares, draws the noise once, steps the
 * optimizer and charges the ledger. The result equals threads: 1 up to float summation order.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { useCpu } from '../helpers.js';
import { fitPrivately, type FitPrivatelyOptions, type FitPrivatelyResult } from '../../../src/dpsgd/user-model/fit.js';
import { perExampleLoss } from '../../../src/dpsgd/user-model/losses.js';
import { InvalidArgumentError } from '../../../src/util/errors.js';
import { shareFitPasses, unitPasses } from '../../../src/dpsgd/user-model/units.js';
import { seededRandom } from '../../../src/util/random.js';
import { ints, relErr, seedWeights, uniform } from './brute-force.js';
import { tinyGpt } from './gpt.js';

beforeAll(useCpu);

/**
 * Each weight's gradient is a sum of at most a few dozen float32 terms; with two threads the
 * same terms are added in another order, so after a few steps the weights agree to a few ulps
 * of the largest weight: 1e-5 relative is a loose bound (a wrong share, a lost or doubled
 * example, or a second noise draw moves them by 1e-2 or more).
 */
const SUMMATION_TOLERANCE = 1e-5;

function mlp(seed: string): tfl.LayersModel {
  const m = tfl.sequential({
    layers: [tfl.layers.dense({ units: 16, activation: 'relu', inputShape: [6] }), tfl.layers.dense({ units: 3, activation: 'softmax' })],
  });
  seedWeights(m, seed);
  return m;
}

async function fitTwice(
  build: () => tfl.LayersModel,
  x: tf.Tensor,
  y: tf.Tensor,
  o: Omit<FitPrivatelyOptions, 'optimizer'>,
): Promise<{ one: { model: tfl.LayersModel; r: FitPrivatelyResult }; two: { model: tfl.LayersModel; r: FitPrivatelyResult } }> {
  const run = async (threads: number) => {
    const model = build();
    const r = await fitPrivately(model, x, y, { ...o, optimizer: tf.train.adam(0.01), threads });
    return { model, r };
  };
  return { one: await run(1), two: await run(2) };
}

function weightErr(a: tfl.LayersModel, b: tfl.LayersModel): number {
  const wa = a.getWeights().map((t) => t.dataSync());
  const wb = b.getWeights().map((t) => t.dataSync());
  expect(wa.length).toBe(wb.length);
  return Math.max(...wa.map((w, i) => relErr(w, wb[i]!)));
}

/** How far the weights moved from their start: the test must compare trained weights. */
function moved(m: tfl.LayersModel, seed: string): number {
  const fresh = mlp(seed);
  return weightErr(m, fresh);
}

const base = { loss: 'sparseCategoricalCrossentropy' as const, clipNorm: 0.5, noiseMultiplier: 0.8, seed: 'threads', warn: () => undefined };

describe('cutting a step among workers', () => {
  it('gives each sampled row (or whole unit) to exactly one pass, in order, in near-equal shares within the physical size', () => {
    const r = seededRandom('share');
    for (let trial = 0; trial < 200; trial++) {
      const W = 1 + r.int(4);
      const P = 1 + r.int(9);
      const idx = Int32Array.from({ length: r.int(40) }, (_, i) => 3 * i + r.int(3));
      const rows = shareFitPasses(idx, null, P, W);
      expect(rows.length).toBeLessThanOrEqual(W);
      expect(rows.flat().flatMap((p) => [...p.indices])).toEqual([...idx]);
      for (const share of rows) for (const p of share) expect(p.indices.length).toBeLessThanOrEqual(P);
      const counts = rows.map((share) => share.reduce((n, p) => n + p.indices.length, 0));
      if (counts.length > 0) expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
      // Units: each share's passes are the one-thread passes of its units; together they hold every unit once, in order.
      const sizes = Int32Array.from({ length: r.int(12) }, () => 1 + r.int(4));
      const draw = { rows: Int32Array.from({ length: sizes.reduce((a, b) => a + b, 0) }, (_, i) => i), sizes };
      const shares = shareFitPasses(new Int32Array(sizes.length), draw, P, W);
      expect(shares.flat().reduce((n, p) => n + p.units!.count, 0)).toBe(sizes.length);
      const realRows = shares.flat().flatMap((p) => [...p.indices].filter((_, k) => p.units!.weights[k]! > 0));
      expect(realRows).toEqual([...draw.rows]);
      if (W === 1 && sizes.length > 0) expect(shares[0]).toEqual(unitPasses(draw, P));
    }
  });
});

describe('fitPrivately with threads: 2', () => {
  const N = 64;
  const x = uniform([N, 6], 'x');
  const y = ints([N], 3, 'y');

  it('trains the same weights as threads: 1 (up to summation order), with the same epsilon and steps', async () => {
    const { one, two } = await fitTwice(() => mlp('w'), x, y, { ...base, epochs: 2, batchSize: 24, physicalBatchSize: 8 });
    expect(one.r.steps).toBeGreaterThanOrEqual(5);
    expect(two.r.steps).toBe(one.r.steps);
    expect(two.r.epsilon).toBe(one.r.epsilon);
    expect(moved(one.model, 'w')).toBeGreaterThan(1e-2);
    expect(weightErr(two.model, one.model)).toBeLessThan(SUMMATION_TOLERANCE);
    for (let e = 0; e < one.r.history.loss.length; e++) expect(two.r.history.loss[e]).toBeCloseTo(one.r.history.loss[e]!, 4);
  });

  it('the same for a non-private run and for privacy units', async () => {
    const plain = await fitTwice(() => mlp('p'), x, y, { loss: 'sparseCategoricalCrossentropy', private: false, epochs: 1, batchSize: 24, seed: 'p', warn: () => undefined });
    expect(weightErr(plain.two.model, plain.one.model)).toBeLessThan(SUMMATION_TOLERANCE);
    const unitIds = Array.from({ length: N }, (_, i) => i % 16);
    const units = await fitTwice(() => mlp('u'), x, y, { ...base, epochs: 1, batchSize: 8, unitIds, examplesPerUnit: 3, physicalBatchSize: 6 });
    expect(units.two.r.epsilon).toBe(units.one.r.epsilon);
    expect(moved(units.one.model, 'u')).toBeGreaterThan(1e-2);
    expect(weightErr(units.two.model, units.one.model)).toBeLessThan(SUMMATION_TOLERANCE);
  });

  it('the same on the exact path (a layer without a rule, exactFallback)', async () => {
    const build = () => {
      // PReLU has a trainable weight and no clipping rule: every example's gradient is computed alone.
      const m = tfl.sequential({ layers: [tfl.layers.dense({ units: 5, inputShape: [6] }), tfl.layers.prelu({}), tfl.layers.dense({ units: 3, activation: 'softmax' })] });
      seedWeights(m, 'e');
      return m;
    };
    const { one, two } = await fitTwice(build, x, y, { ...base, epochs: 1, batchSize: 12, exactFallback: true });
    expect(one.r.mode).toBe('exact');
    expect(two.r.epsilon).toBe(one.r.epsilon);
    expect(weightErr(two.model, one.model)).toBeLessThan(SUMMATION_TOLERANCE);
  });

  it("rebuilds dp-canary's own layers in the workers (a tiny GPT, int32 ids)", async () => {
    const shape = { vocab: 7, T: 5, d: 8, heads: 2, ffn: 16, blocks: 1 };
    const build = () => {
      const m = tinyGpt(shape);
      seedWeights(m, 'gpt', 0.3);
      return m;
    };
    const ids = ints([24, 5], 7, 'ids');
    const next = ints([24, 5], 7, 'next');
    const { one, two } = await fitTwice(build, ids, next, { ...base, epochs: 1, batchSize: 8 });
    expect(two.r.epsilon).toBe(one.r.epsilon);
    expect(weightErr(two.model, one.model)).toBeLessThan(SUMMATION_TOLERANCE);
  });

  it('refuses a loss function and a model the workers cannot rebuild, saying threads: 1 works', async () => {
    const own = perExampleLoss('sparseCategoricalCrossentropy');
    const call = (model: tfl.LayersModel, loss: FitPrivatelyOptions['loss']) =>
      fitPrivately(model, x, y, { ...base, loss, optimizer: tf.train.sgd(0.1), epochs: 1, batchSize: 8, threads: 2 });
    await expect(call(mlp('f'), own)).rejects.toThrow(InvalidArgumentError);
    await expect(call(mlp('f'), own)).rejects.toThrow(/named loss.*threads: 1/);
    // A layer class registered in this module only: the worker does not know it.
    class Doubling extends tfl.layers.Layer {
      static className = 'TestOnlyDoubling';
      override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
        return tf.mul(Array.isArray(inputs) ? inputs[0]! : inputs, 2);
      }
    }
    tf.serialization.registerClass(Doubling);
    const custom = tfl.sequential({ layers: [tfl.layers.dense({ units: 3, activation: 'softmax', inputShape: [6] })] });
    custom.add(new Doubling({}));
    await expect(call(custom, 'sparseCategoricalCrossentropy')).rejects.toThrow(InvalidArgumentError);
    await expect(call(custom, 'sparseCategoricalCrossentropy')).rejects.toThrow(/TestOnlyDoubling.*threads: 1/s);
    await expect(call(mlp('f'), 'sparseCategoricalCrossentropy').then(() => 'ok')).resolves.toBe('ok');
    await expect(fitPrivately(mlp('f'), x, y, { ...base, optimizer: tf.train.sgd(0.1), epochs: 1, batchSize: 8, threads: 1.5 })).rejects.toThrow(/threads must be an integer/);
  });

  it('closes its workers when it returns and when it throws: the process exits by itself', () => {
    // A fresh Node process (the compiled library, the script on stdin): it ends only when no worker is left running.
    const script = (onBatchEnd: string) => `
      import * as tf from '@tensorflow/tfjs-core';
      import '@tensorflow/tfjs-backend-cpu';
      import * as tfl from '@tensorflow/tfjs-layers';
      import { fitPrivately } from './dist/src/dpsgd/user-model/fit.js';
      await tf.setBackend('cpu');
      const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 2, activation: 'softmax', inputShape: [3] })] });
      const x = tf.randomUniform([20, 3]);
      const y = tf.tensor1d(Array.from({ length: 20 }, (_, i) => i % 2), 'int32');
      try {
        const r = await fitPrivately(model, x, y, { loss: 'sparseCategoricalCrossentropy', optimizer: tf.train.sgd(0.1), epochs: 1, batchSize: 10,
          clipNorm: 1, noiseMultiplier: 1, threads: 2, seed: 1, warn: () => {}, callbacks: { onBatchEnd: ${onBatchEnd} } });
        console.log('steps', r.steps);
      } catch (e) { console.log('threw', e.message); }
    `;
    for (const [onBatchEnd, want] of [['() => {}', /^steps 2$/m], ["() => { throw new Error('callback failed'); }", /^threw callback failed$/m]] as const) {
      const p = spawnSync(process.execPath, ['--input-type=module'], { input: script(onBatchEnd), encoding: 'utf8', timeout: 60_000 });
      expect(p.signal, p.stderr).toBeNull();
      expect(p.status, p.stderr).toBe(0);
      expect(p.stdout).toMatch(want);
    }
  });
});
