import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { randomWindows, relErr, tinyModel, useCpu } from './helpers.js';
import { makeBatch } from '../../src/dpsgd/data.js';
import { clippedSum } from '../../src/dpsgd/gradient.js';
import { sequenceCrossEntropy } from '../../src/dpsgd/layers/loss.js';
import { logicalBatchGradient } from '../../src/dpsgd/logical-batch.js';
import type { LanguageModel, LanguageModelConfig } from '../../src/dpsgd/model.js';
import { shardUnits, type Pass } from '../../src/dpsgd/parallel/shard.js';
import { forwardWithTaps } from '../../src/dpsgd/taps.js';
import { drawUnitExamples, indexUnits } from '../../src/dpsgd/units.js';
import { train } from '../../src/dpsgd/trainer.js';
import { ledgerEpsilon, PrivacyLedger } from '../../src/accountant/index.js';
import { InvalidArgumentError } from '../../src/util/errors.js';
import { seededRandom } from '../../src/util/random.js';

beforeAll(useCpu);

// float32 throughout; the brute force is tfjs autodiff of one unit's loss at a time, the fast
// path Gram matrices or materialised products over the regrouped taps (see clipping.test.ts).
const TOL = 1e-5;

/**
 * Brute force, one unit at a time: autodiff of the unit's loss, the mean over its windows of
 * each window's summed cross-entropy, with respect to the weights; norms, clipping (Opacus's
 * factor min(1, C / (norm + 1e-6))) and the sum over units in float64.
 */
function bruteUnits(model: LanguageModel, windows: Int32Array[], units: number[][], clipNorm: number): { norms: number[]; sums: Map<string, Float64Array>; clipped: number[] } {
  const names = [...model.params.keys()];
  const sums = new Map(names.map((n) => [n, new Float64Array(model.param(n).size)]));
  const norms: number[] = [];
  const clipped: number[] = [];
  for (const unit of units) {
    const batch = makeBatch(windows, unit, model.config.vocabSize);
    const { grads, value } = tf.variableGrads(() => tf.div(tf.sum(sequenceCrossEntropy(model.forward(batch.inputs), batch.targets)), unit.length) as tf.Scalar);
    value.dispose();
    tf.dispose([batch.inputs, batch.targets]);
    const data = names.map((n) => grads[model.param(n).name]!.dataSync() as Float32Array);
    tf.dispose(Object.values(grads));
    let sq = 0;
    for (const d of data) for (const x of d) sq += x * x;
    const norm = Math.sqrt(sq);
    const c = Math.min(1, clipNorm / (norm + 1e-6));
    norms.push(norm);
    clipped.push(c * norm);
    names.forEach((n, j) => {
      const s = sums.get(n)!;
      data[j]!.forEach((x, k) => (s[k]! += c * x));
    });
  }
  return { norms, sums, clipped };
}

/** The clipped sum of one unit pass by the fast path. */
function fastPass(model: LanguageModel, windows: Int32Array[], pass: Pass, clipNorm: number, normMethod: 'ghost' | 'materialize' | 'auto' | 'reference') {
  const batch = makeBatch(windows, pass.indices, model.config.vocabSize);
  const r = clippedSum(model, batch, { clipNorm, normMethod, units: pass.units! });
  tf.dispose([batch.inputs, batch.targets]);
  return r;
}

function l2(m: Map<string, tf.Tensor>): number {
  let sq = 0;
  for (const t of m.values()) for (const x of t.dataSync()) sq += x * x;
  return Math.sqrt(sq);
}

const cells: Array<[string, Partial<LanguageModelConfig>]> = [
  ['LSTM', { cell: 'lstm' }],
  ['GRU', { cell: 'gru' }],
  ['stacked GRU (2 layers)', { cell: 'gru', layers: 2 }],
  ['transformer (2 blocks)', { cell: 'transformer', embeddingDim: 8, hiddenSize: 8, heads: 2, ffnSize: 12, layers: 2, maxLength: 4 }],
];

describe.each(cells)('per-unit clipping, %s', (_label, config) => {
  const T = 4;
  const model = tinyModel(config);
  const windows = randomWindows(12, T, model.config.vocabSize, 'units');
  // Sizes 3, 1, 2, 3: units 1 and 2 are padded to k = 3 rows.
  const units = [[0, 1, 2], [3], [4, 5], [6, 7, 8]];
  const rows = Int32Array.from(units.flat());
  const sizes = Int32Array.from(units.map((u) => u.length));
  const unclipped = bruteUnits(model, windows, units, Infinity);
  const clip = [...unclipped.norms].sort((a, b) => a - b)[1]! * 1.01; // some units clipped, some not
  const brute = bruteUnits(model, windows, units, clip);

  it.each(['ghost', 'materialize', 'auto', 'reference'] as const)('norms and clipped sum (%s) equal the brute force per unit, padded units included', (method) => {
    const [pass] = shardUnits(rows, sizes, Infinity, 1)[0]!;
    expect(pass!.units!.rowsPerUnit).toBe(3);
    const r = fastPass(model, windows, pass!, clip, method);
    expect(r.batchSize).toBe(4);
    expect(r.tokens).toBe(T * 9); // real rows only
    expect(relErr(Array.from(r.norms), unclipped.norms)).toBeLessThan(TOL);
    for (const name of model.params.keys()) expect(relErr(r.sums.get(name)!.dataSync(), brute.sums.get(name)!), name).toBeLessThan(TOL);
    tf.dispose([...r.sums.values()]);
    expect(brute.clipped.filter((n, j) => n < unclipped.norms[j]! * (1 - 1e-6)).length).toBeGreaterThan(0);
    expect(brute.clipped.filter((n, j) => n >= unclipped.norms[j]! * (1 - 1e-6)).length).toBeGreaterThan(0);
  });

  it('property: random unit layouts and clip norms; each unit alone contributes at most C, and the sum over units is the sum of brute-force clipped unit gradients', () => {
    const r = seededRandom(`property-${_label}`);
    for (let trial = 0; trial < 4; trial++) {
      const U = 1 + r.int(4);
      const layout: number[][] = [];
      let next = 0;
      for (let u = 0; u < U; u++) layout.push(Array.from({ length: 1 + r.int(3) }, () => next++));
      const C = 0.05 + r.uniform() * 2;
      const want = bruteUnits(model, windows, layout, C);
      const unitRows = Int32Array.from(layout.flat());
      const unitSizes = Int32Array.from(layout.map((u) => u.length));
      // Physical size 4 rows: several passes, units never split.
      const passes = shardUnits(unitRows, unitSizes, 4, 1)[0]!;
      const total = new Map<string, Float64Array>([...model.params].map(([n, v]) => [n, new Float64Array(v.size)]));
      for (const p of passes) {
        const got = fastPass(model, windows, p, C, 'auto');
        for (const [n, t] of got.sums) t.dataSync().forEach((x, k) => (total.get(n)![k]! += x));
        tf.dispose([...got.sums.values()]);
      }
      for (const name of model.params.keys()) expect(relErr(total.get(name)!, want.sums.get(name)!), name).toBeLessThan(TOL);
      // Each unit alone (its own pass, padded to k = 3 rows): the clipped contribution is <= C.
      layout.forEach((unit, j) => {
        const alone = shardUnits(Int32Array.from([...unit]), Int32Array.from([unit.length]), Infinity, 1)[0]![0]!;
        const padded: Pass = { ...alone, indices: Int32Array.from({ length: 3 }, (_, s) => unit[Math.min(s, unit.length - 1)]!), units: { count: 1, rowsPerUnit: 3, weights: Float32Array.from({ length: 3 }, (_, s) => (s < unit.length ? 1 / unit.length : 0)) } };
        const got = fastPass(model, windows, padded, C, 'auto');
        const norm = l2(got.sums);
        expect(norm).toBeLessThanOrEqual(C * (1 + 1e-5));
        expect(Math.abs(norm - want.clipped[j]!) / want.clipped[j]!).toBeLessThan(TOL);
        tf.dispose([...got.sums.values()]);
      });
    }
  });
});

describe('padding rows', () => {
  it('get output gradients of exactly 0 at every tap, so a padded unit equals the same unit unpadded', () => {
    const model = tinyModel({ cell: 'lstm' });
    const windows = randomWindows(4, 3, model.config.vocabSize, 'pad');
    const batch = makeBatch(windows, [0, 1, 2, 0], model.config.vocabSize);
    const pass = forwardWithTaps(model, batch.inputs, batch.targets, undefined, Float32Array.from([0.5, 0.5, 1, 0]));
    for (const g of pass.grads.values()) {
      const [T, B, P] = g.shape;
      const d = g.dataSync();
      let padAbs = 0;
      let realAbs = 0;
      for (let t = 0; t < T; t++) for (let p = 0; p < P; p++) {
        padAbs += Math.abs(d[(t * B + 3) * P + p]!);
        realAbs += Math.abs(d[(t * B + 0) * P + p]!);
      }
      expect(padAbs).toBe(0);
      expect(realAbs).toBeGreaterThan(0);
    }
    pass.dispose();
    tf.dispose([batch.inputs, batch.targets]);
    // One unit of 1 window: alone (k = 1) and padded with 3 copies of another window (k = 4).
    const alone = fastPass(model, windows, shardUnits(Int32Array.from([2]), Int32Array.from([1]), Infinity, 1)[0]![0]!, 1e9, 'auto');
    const padded = fastPass(model, windows, { start: 0, indices: Int32Array.from([2, 1, 1, 1]), segments: [], units: { count: 1, rowsPerUnit: 4, weights: Float32Array.from([1, 0, 0, 0]) } }, 1e9, 'auto');
    for (const name of model.params.keys()) expect(relErr(padded.sums.get(name)!.dataSync(), alone.sums.get(name)!.dataSync())).toBeLessThan(1e-6);
    expect(padded.tokens).toBe(alone.tokens);
    expect(padded.lossSum).toBeCloseTo(alone.lossSum, 4);
    tf.dispose([...alone.sums.values(), ...padded.sums.values()]);
  });
});

describe('unit passes', () => {
  it('never split a unit, cover every row once, and keep padded passes within the physical size', () => {
    const r = seededRandom('unit-shard');
    for (let trial = 0; trial < 200; trial++) {
      const U = r.int(30);
      const sizes = Int32Array.from({ length: U }, () => 1 + r.int(5));
      const rows = Int32Array.from({ length: sizes.reduce((a, b) => a + b, 0) }, () => r.int(1000));
      const P = r.int(4) === 0 ? Infinity : 1 + r.int(20);
      const W = 1 + r.int(4);
      const shards = shardUnits(rows, sizes, P, W);
      expect(shards).toHaveLength(W);
      let unit = 0;
      let at = 0;
      for (const p of shards.flat()) {
        const u = p.units!;
        expect(p.start).toBe(unit);
        expect(p.indices.length).toBe(u.count * u.rowsPerUnit);
        if (u.count > 1) expect(p.indices.length).toBeLessThanOrEqual(P);
        for (let j = 0; j < u.count; j++) {
          const n = sizes[unit + j]!;
          expect(u.rowsPerUnit).toBeGreaterThanOrEqual(n);
          for (let s = 0; s < u.rowsPerUnit; s++) {
            const w = u.weights[s * u.count + j]!;
            if (s < n) {
              expect(p.indices[s * u.count + j]).toBe(rows[at + s]);
              expect(w).toBeCloseTo(1 / n, 7);
            } else expect(w).toBe(0);
          }
          at += n;
        }
        unit += u.count;
      }
      expect(unit).toBe(U);
      expect(at).toBe(rows.length);
    }
  });
});

describe('drawing windows of sampled units', () => {
  it('groups examples by id in order of first appearance', () => {
    const idx = indexUnits(['b', 'a', 'b', 'c', 'a', 'b'], 6);
    expect(idx.count).toBe(3);
    expect(Array.from(idx.starts)).toEqual([0, 3, 5, 6]);
    expect(Array.from(idx.members)).toEqual([0, 2, 5, 1, 4, 3]);
    expect(idx.largest).toBe(3);
    expect(() => indexUnits([1, 2], 3)).toThrow(InvalidArgumentError);
  });

  it('takes min(m, k) distinct windows of the unit, each m-subset equally likely; units with the most windows first', () => {
    const idx = indexUnits([0, 0, 0, 0, 1, 2, 2], 7);
    const random = seededRandom('draws');
    const counts = new Map<string, number>();
    const n = 6000;
    for (let i = 0; i < n; i++) {
      const d = drawUnitExamples(idx, [1, 0, 2], 2, random);
      expect(Array.from(d.units)).toEqual([0, 2, 1]);
      expect(Array.from(d.sizes)).toEqual([2, 2, 1]);
      const first = Array.from(d.rows.subarray(0, 2));
      expect(first[0]).toBeLessThan(first[1]!);
      expect(first.every((r) => r >= 0 && r < 4)).toBe(true);
      expect(Array.from(d.rows.subarray(2))).toEqual([5, 6, 4]);
      counts.set(first.join(','), (counts.get(first.join(',')) ?? 0) + 1);
    }
    // C(4, 2) = 6 pairs, each with probability 1/6: a chi-square test with 5 degrees of freedom.
    expect(counts.size).toBe(6);
    const chi2 = [...counts.values()].reduce((a, c) => a + (c - n / 6) ** 2 / (n / 6), 0);
    expect(chi2).toBeLessThan(20.5); // p = 0.001
    expect(() => drawUnitExamples(idx, [0], 0, random)).toThrow(InvalidArgumentError);
  });
});

describe('training over units', () => {
  const T = 4;
  const windows = randomWindows(40, T, 7, 'train-units');
  // 10 units of 1..7 windows.
  const ids = windows.map((_, i) => Math.floor(Math.sqrt(i * 2.5)));
  const U = new Set(ids).size;

  it("reports the accountant's epsilon for q = units per batch / units, sigma and the steps", async () => {
    const r = await train({
      model: { vocabSize: 7, embeddingDim: 3, hiddenSize: 4, layers: 1, cell: 'gru', dropout: 0 },
      examples: windows, units: { ids, windowsPerStep: 2 },
      privacy: { kind: 'dp', clipNorm: 1, noise: { multiplier: 1.3 } },
      sampling: { batchSize: 3 }, length: { steps: 7 }, delta: 1e-3,
      optimizer: { name: 'sgd', learningRate: 0.1 }, seed: 'u', warn: () => undefined,
    });
    expect(r.plan.numExamples).toBe(U);
    expect(r.samplingRate).toBe(3 / U);
    const want = ledgerEpsilon(PrivacyLedger.empty().compose({ samplingRate: 3 / U, noiseMultiplier: 1.3, count: 7 }), 1e-3).epsilon;
    expect(r.epsilon).toBe(want);
    expect(r.ledger!.steps).toBe(7);
    // Per window it would be a different (larger-q) figure: the test can tell the two apart.
    const perWindow = ledgerEpsilon(PrivacyLedger.empty().compose({ samplingRate: 3 / windows.length, noiseMultiplier: 1.3, count: 7 }), 1e-3).epsilon;
    expect(perWindow).not.toBe(want);
  });

  it('a logical step equals the sum over its units of brute-force clipped unit gradients, divided by q U (no noise)', () => {
    const model = tinyModel({ cell: 'lstm' });
    const idx = indexUnits(ids, windows.length);
    const draw = drawUnitExamples(idx, [0, 3, 5, 9], 3, seededRandom('draw'));
    const units: number[][] = [];
    let at = 0;
    for (const n of draw.sizes) units.push(Array.from(draw.rows.subarray(at, (at += n))));
    const brute = bruteUnits(model, windows, units, 0.3);
    const g = logicalBatchGradient(model, windows, draw.rows, {
      privacy: { kind: 'dp', clipNorm: 0.3, noiseMultiplier: 0 }, physicalBatchSize: 5, expectedBatchSize: 2.5, step: 0, random: seededRandom('n'), unitSizes: draw.sizes,
    });
    expect(g.batchSize).toBe(4);
    expect(g.norms).toHaveLength(4);
    for (const name of model.params.keys()) {
      const want = brute.sums.get(name)!.map((x) => x / 2.5);
      expect(relErr(g.grads.get(name)!.dataSync(), want), name).toBeLessThan(TOL);
    }
    tf.dispose([...g.grads.values()]);
  });

  it('refuses units without DP, with dropout, and m < 1 (one-line errors)', async () => {
    const common = { examples: windows, sampling: { batchSize: 2 }, length: { steps: 1 }, optimizer: { name: 'sgd' as const, learningRate: 0.1 }, seed: 's', warn: () => undefined };
    const cfg = { vocabSize: 7, embeddingDim: 3, hiddenSize: 4, layers: 1, cell: 'lstm' as const, dropout: 0 };
    const dp = { kind: 'dp' as const, clipNorm: 1, noise: { multiplier: 1 } };
    await expect(train({ ...common, model: cfg, privacy: { kind: 'none' }, units: { ids, windowsPerStep: 2 } })).rejects.toThrow(/DP-SGD/);
    await expect(train({ ...common, model: { ...cfg, dropout: 0.2 }, privacy: dp, units: { ids, windowsPerStep: 2 } })).rejects.toThrow(/dropout/);
    await expect(train({ ...common, model: cfg, privacy: dp, units: { ids, windowsPerStep: 0 } })).rejects.toThrow(InvalidArgumentError);
    await expect(train({ ...common, model: cfg, privacy: dp, units: { ids: ids.slice(1), windowsPerStep: 2 } })).rejects.toThrow(/one unit id per example/);
  });
});
