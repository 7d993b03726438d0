import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/util/errors.js';
import * as tf from '@tensorflow/tfjs-core';
import { randomWindows, tinyModel, useCpu } from './helpers.js';
import { logicalBatchGradient, physicalChunks, type LogicalStepOptions } from '../../src/dpsgd/logical-batch.js';
import { privateGradient } from '../../src/dpsgd/gradient.js';
import { train, type TrainOptions } from '../../src/dpsgd/trainer.js';
import { LanguageModel } from '../../src/dpsgd/model.js';
import { seededRandom } from '../../src/util/random.js';

beforeAll(useCpu);

function flat(m: Map<string, tf.Tensor>): Float64Array {
  const parts = [...m.keys()].sort().map((k) => m.get(k)!.dataSync());
  return Float64Array.from(parts.flatMap((p) => Array.from(p)));
}

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let k = 0; k < a.length; k++) d = Math.max(d, Math.abs(a[k]! - b[k]!));
  return d;
}

const windows = randomWindows(24, 6, 7);
const indices = Int32Array.from([0, 2, 3, 5, 7, 8, 11, 13, 14, 17, 19, 23]);

function step(model: LanguageModel, physicalBatchSize: number, privacy: LogicalStepOptions['privacy'], idx = indices): ReturnType<typeof logicalBatchGradient> {
  return logicalBatchGradient(model, windows, idx, { privacy, physicalBatchSize, expectedBatchSize: 10, step: 3, random: seededRandom('noise') });
}

describe('physical chunks of a logical batch', () => {
  it('cover the batch in order with at most the physical size each', () => {
    const chunks = physicalChunks(indices, 5);
    expect(chunks.map((c) => c.length)).toEqual([5, 5, 2]);
    expect(chunks.flatMap((c) => Array.from(c))).toEqual(Array.from(indices));
    expect(physicalChunks(indices, Infinity)).toHaveLength(1);
    expect(physicalChunks(new Int32Array(0), 4)).toHaveLength(0);
    expect(() => physicalChunks(indices, 0)).toThrow(InvalidArgumentError);
  });
});

describe('logicalBatchGradient', () => {
  it('a DP step split into chunks equals the same step in one chunk (same noise, float32 summation order only)', () => {
    const model = tinyModel();
    const dp = { kind: 'dp', clipNorm: 0.5, noiseMultiplier: 1.3 } as const;
    const whole = step(model, Infinity, dp);
    const ref = privateGradient(model, null, { clipNorm: 0.5, noiseMultiplier: 0, expectedBatchSize: 10, step: 3, random: seededRandom('noise') });
    for (const size of [1, 5, 11]) {
      const split = step(model, size, dp);
      expect(split.batchSize).toBe(indices.length);
      expect(Array.from(split.norms!)).toEqual(Array.from(whole.norms!).map((x) => expect.closeTo(x, 5)));
      expect(split.lossSum).toBeCloseTo(whole.lossSum, 4);
      expect(maxAbsDiff(flat(split.grads), flat(whole.grads))).toBeLessThan(1e-5);
      tf.dispose([...split.grads.values()]);
    }
    // Sanity: the noise is really there (the step is not just the clipped mean).
    expect(maxAbsDiff(flat(whole.grads), flat(ref.grads))).toBeGreaterThan(0.01);
    tf.dispose([...whole.grads.values(), ...ref.grads.values()]);
  });

  it('a plain step split into chunks equals the same step in one chunk', () => {
    const model = tinyModel();
    const whole = step(model, Infinity, { kind: 'none' });
    const split = step(model, 4, { kind: 'none' });
    expect(split.norms).toBeNull();
    expect(maxAbsDiff(flat(split.grads), flat(whole.grads))).toBeLessThan(1e-6);
    tf.dispose([...split.grads.values(), ...whole.grads.values()]);
  });

  it('an empty logical batch is a noise-only step, the same as privateGradient of no batch', () => {
    const model = tinyModel();
    const g = step(model, 4, { kind: 'dp', clipNorm: 0.5, noiseMultiplier: 1.3 }, new Int32Array(0));
    const ref = privateGradient(model, null, { clipNorm: 0.5, noiseMultiplier: 1.3, expectedBatchSize: 10, step: 3, random: seededRandom('noise') });
    expect(g.batchSize).toBe(0);
    const a = flat(g.grads);
    expect(maxAbsDiff(a, flat(ref.grads))).toBe(0);
    expect(a.some((x) => x !== 0)).toBe(true);
    tf.dispose([...g.grads.values(), ...ref.grads.values()]);
  });

  it('peak memory is bounded by the physical chunk, not by the logical batch', async () => {
    const model = tinyModel({ hiddenSize: 16, embeddingDim: 8, vocabSize: 7 });
    const many = randomWindows(64, 8, 7, 'many');
    const all = Int32Array.from({ length: 64 }, (_, i) => i);
    const peak = async (size: number): Promise<number> => {
      const info = await tf.profile(() => {
        const g = logicalBatchGradient(model, many, all, { privacy: { kind: 'dp', clipNorm: 1, noiseMultiplier: 1 }, physicalBatchSize: size, expectedBatchSize: 64, step: 0, random: seededRandom('m') });
        tf.dispose([...g.grads.values()]);
      });
      return info.peakBytes;
    };
    const whole = await peak(Infinity);
    const chunked = await peak(8);
    expect(chunked).toBeLessThan(whole / 3);
  });
});

describe('train with logical batches', () => {
  const examples = randomWindows(40, 6, 7, 'train');
  const base = (over: Partial<TrainOptions>): TrainOptions =>
    ({
      model: { vocabSize: 7, embeddingDim: 3, hiddenSize: 4, layers: 1, cell: 'lstm', dropout: 0 },
      examples, sampling: { rate: 0.5 }, length: { steps: 4 }, privacy: { kind: 'dp', clipNorm: 1, noise: { multiplier: 1.1 } },
      optimizer: { name: 'adam', learningRate: 0.02 }, seed: 'lb', warn: () => undefined, ...over,
    }) satisfies TrainOptions;

  it('charges the ledger once per logical step and ends where the unchunked run ends', async () => {
    const whole = await train(base({}));
    const chunked = await train(base({ physicalBatchSize: 3 }));
    expect(chunked.ledger!.steps).toBe(4);
    expect(chunked.epsilon).toBe(whole.epsilon);
    const w = [...whole.model.weights()];
    const c = new Map(chunked.model.weights());
    for (const [name, v] of w) {
      const u = c.get(name)!;
      for (let k = 0; k < v.length; k++) expect(Math.abs(u[k]! - v[k]!)).toBeLessThan(1e-4);
    }
    for (const r of [whole, chunked]) {
      r.model.dispose();
      r.optimizer.dispose();
    }
  });

  it('refuses a physical batch size that is not a positive integer', async () => {
    await expect(train(base({ physicalBatchSize: 0 }))).rejects.toThrow(/physical batch size/);
    await expect(train(base({ physicalBatchSize: 2.5 }))).rejects.toThrow(/physical batch size/);
  });
});
