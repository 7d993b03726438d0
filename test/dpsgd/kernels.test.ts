/**
 * Each wasm kernel fix against the cpu backend (an independent implementation) on seeded random
 * inputs: forward values and gradients agree to relative error <= 1e-5.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { wasmKernelFixesRegistered } from '../../src/dpsgd/kernels/index.js';
import { batchMatMulFixConfig } from '../../src/dpsgd/kernels/batch-matmul.js';
import { unpackFixConfig } from '../../src/dpsgd/kernels/unpack.js';
import { unsortedSegmentSumConfig } from '../../src/dpsgd/kernels/unsorted-segment-sum.js';
import { rowSquaredNorms2d, weightedRowSum2d } from '../../src/dpsgd/kernels/weighted-row-sum.js';
import { clipPass } from '../../src/dpsgd/per-example/clip.js';
import { makeBatch } from '../../src/dpsgd/data.js';
import { forwardWithTaps } from '../../src/dpsgd/taps.js';
import { randomWindows, tinyModel, useWasmForFile } from './helpers.js';
import { seededRandom, type RandomSource } from '../../src/util/random.js';

const TOLERANCE = 1e-5;
useWasmForFile();

/** Uniform(-1, 1) values of the given shape from a seeded source. */
function randomValues(rng: RandomSource, shape: number[]): { values: Float32Array; shape: number[] } {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = 2 * rng.uniform() - 1;
  return { values, shape };
}

function randomIndices(rng: RandomSource, shape: number[], bound: number): { values: Int32Array; shape: number[] } {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Int32Array(size);
  for (let i = 0; i < size; i++) values[i] = rng.int(bound);
  return { values, shape };
}

interface Result {
  shape: number[];
  values: Float32Array | Int32Array | Uint8Array;
}

/** Runs `f` on the given backend (inputs are re-created there) and reads its outputs. */
function runOn(backendName: string, f: () => tf.Tensor | tf.Tensor[]): Result[] {
  tf.setBackend(backendName);
  return tf.tidy(() => {
    const out = f();
    return (Array.isArray(out) ? out : [out]).map((t) => ({ shape: t.shape, values: t.dataSync() as Result['values'] }));
  });
}

/** max |wasm - cpu| / max |cpu| over all outputs (0 when both are all zero). */
function relativeError(wasm: Result[], cpu: Result[]): number {
  expect(wasm.length).toBe(cpu.length);
  let diff = 0;
  let scale = 0;
  for (let j = 0; j < cpu.length; j++) {
    expect(wasm[j].shape).toEqual(cpu[j].shape);
    expect(wasm[j].values.length).toBe(cpu[j].values.length);
    for (let i = 0; i < cpu[j].values.length; i++) {
      diff = Math.max(diff, Math.abs(wasm[j].values[i] - cpu[j].values[i]));
      scale = Math.max(scale, Math.abs(cpu[j].values[i]));
    }
  }
  return scale === 0 ? diff : diff / scale;
}

/** Asserts that `f` gives the same outputs on wasm (with fixes) and cpu, and that they are not all zero. */
function expectSameOnBoth(f: () => tf.Tensor | tf.Tensor[]): void {
  const wasm = runOn('wasm', f);
  const cpu = runOn('cpu', f);
  tf.setBackend('wasm');
  expect(cpu.some((r) => r.values.some((v) => v !== 0))).toBe(true);
  expect(relativeError(wasm, cpu)).toBeLessThanOrEqual(TOLERANCE);
}

const f32 = (v: { values: Float32Array; shape: number[] }): tf.Tensor => tf.tensor(v.values, v.shape, 'float32');
const i32 = (v: { values: Int32Array; shape: number[] }): tf.Tensor => tf.tensor(v.values, v.shape, 'int32');

describe('wasm kernel fixes are in place', () => {
  it('serves UnsortedSegmentSum, Unpack, BatchMatMul and GatherV2 from the fixes', () => {
    expect(wasmKernelFixesRegistered().sort()).toEqual(['BatchMatMul', 'GatherV2', 'Unpack', 'UnsortedSegmentSum']);
    expect(tf.getKernel('BatchMatMul', 'wasm')?.kernelFunc).toBe(batchMatMulFixConfig.kernelFunc);
    expect(tf.getKernel('Unpack', 'wasm')?.kernelFunc).toBe(unpackFixConfig.kernelFunc);
    expect(tf.getKernel('UnsortedSegmentSum', 'wasm')?.kernelFunc).toBe(unsortedSegmentSumConfig.kernelFunc);
    expect(tf.getBackend()).toBe('wasm');
  });
});

describe('matMul on wasm equals cpu', () => {
  const rng = seededRandom('kernels-matmul');
  // Shapes as stored, for each transpose combination of [m,k] x [k,n] with m=7, k=33, n=12.
  const combos: [boolean, boolean][] = [
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ];
  for (const [ta, tb] of combos) {
    it(`2-D, transposeA=${ta} transposeB=${tb}, both shape orders`, () => {
      for (const [m, k, n] of [
        [7, 33, 12],
        [40, 5, 3],
      ]) {
        const a = randomValues(rng, ta ? [k, m] : [m, k]);
        const b = randomValues(rng, tb ? [n, k] : [k, n]);
        expectSameOnBoth(() => tf.matMul(f32(a), f32(b), ta, tb));
      }
    });

    it(`batched with broadcasting, transposeA=${ta} transposeB=${tb}`, () => {
      const m = 5;
      const k = 9;
      const n = 6;
      // Broadcast patterns the cpu backend supports (one side's batch is 1 or they are equal).
      const pairs: [number[], number[]][] = [
        [[4], [4]], // same batch
        [[4], [1]], // shared right operand
        [[1], [4]], // shared left operand
        [[2, 3], []], // right operand 2-D
        [[], [2, 3]], // left operand 2-D
      ];
      for (const [batchA, batchB] of pairs) {
        const a = randomValues(rng, [...batchA, ...(ta ? [k, m] : [m, k])]);
        const b = randomValues(rng, [...batchB, ...(tb ? [n, k] : [k, n])]);
        expectSameOnBoth(() => tf.matMul(f32(a), f32(b), ta, tb));
      }
    });

    it(`gradients, transposeA=${ta} transposeB=${tb}`, () => {
      const a = randomValues(rng, [3, ...(ta ? [8, 4] : [4, 8])]);
      const b = randomValues(rng, [3, ...(tb ? [5, 8] : [8, 5])]);
      const a2 = randomValues(rng, ta ? [8, 4] : [4, 8]);
      const b2 = randomValues(rng, tb ? [5, 8] : [8, 5]);
      const w = randomValues(rng, [3, 4, 5]);
      const w2 = randomValues(rng, [4, 5]);
      for (const [x, y, weight] of [
        [a, b, w],
        [a2, b2, w2],
      ]) {
        expectSameOnBoth(() => {
          const loss = (p: tf.Tensor, q: tf.Tensor): tf.Scalar => tf.sum(tf.mul(tf.matMul(p, q, ta, tb), f32(weight)));
          return tf.grads(loss)([f32(x), f32(y)]);
        });
      }
    });
  }

  it('broadcasts batch dimensions [3,1] x [1,2] like numpy (brute-force reference)', () => {
    // The cpu backend does not broadcast this pattern, so the reference is a plain loop.
    const [m, k, n] = [4, 6, 3];
    const a = randomValues(rng, [3, 1, m, k]);
    const b = randomValues(rng, [1, 2, k, n]);
    const [out] = runOn('wasm', () => tf.matMul(f32(a), f32(b)));
    expect(out.shape).toEqual([3, 2, m, n]);
    let maxDiff = 0;
    let scale = 0;
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 2; j++) {
        for (let r = 0; r < m; r++) {
          for (let c = 0; c < n; c++) {
            let sum = 0;
            for (let t = 0; t < k; t++) sum += a.values[(i * m + r) * k + t] * b.values[(j * k + t) * n + c];
            maxDiff = Math.max(maxDiff, Math.abs(out.values[((i * 2 + j) * m + r) * n + c] - sum));
            scale = Math.max(scale, Math.abs(sum));
          }
        }
      }
    }
    expect(maxDiff / scale).toBeLessThanOrEqual(TOLERANCE);
  });

  it('one tensor as the right operand under two reshapes (same data, different [k, n])', () => {
    // The C++ kernel caches the packed right operand by tensor id; a reshape keeps the id.
    const g = randomValues(rng, [6, 4, 10]);
    const ones = randomValues(rng, [1, 6]);
    const a = randomValues(rng, [24, 3]);
    expectSameOnBoth(() => {
      const gt = f32(g);
      const first = tf.matMul(f32(ones), tf.reshape(gt, [6, 40])); // right operand [6, 40]
      const second = tf.matMul(f32(a), tf.reshape(gt, [24, 10]), true, false); // same data as [24, 10]
      const third = tf.matMul(f32(ones), tf.reshape(gt, [6, 40])); // the first shape again
      return [first, second, third];
    });
  });

  it('handles an empty inner dimension (all-zero product)', () => {
    const wasm = runOn('wasm', () => tf.matMul(tf.zeros([2, 0]), tf.zeros([0, 3])));
    tf.setBackend('wasm');
    expect(wasm[0].shape).toEqual([2, 3]);
    expect(Array.from(wasm[0].values)).toEqual([0, 0, 0, 0, 0, 0]);
  });
});

describe('unstack on wasm equals cpu', () => {
  const rng = seededRandom('kernels-unstack');
  const x = randomValues(rng, [3, 4, 5]);
  for (const axis of [0, 1, 2, -1]) {
    it(`axis ${axis}`, () => {
      expectSameOnBoth(() => tf.unstack(f32(x), axis));
    });
  }
  it('int32 values, and the gradient through unstack', () => {
    const ints = randomIndices(rng, [4, 6], 100);
    expectSameOnBoth(() => tf.unstack(i32(ints), 1));
    const w = randomValues(rng, [4]);
    expectSameOnBoth(() => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.unstack(t, 1)[2], f32(w))))(tf.reshape(f32(x), [4, 15])));
  });
});

describe('unsortedSegmentSum on wasm equals cpu', () => {
  const rng = seededRandom('kernels-segments');
  it('repeated and out-of-order segment ids, 1-D ids', () => {
    const x = randomValues(rng, [6, 4]);
    const ids = { values: Int32Array.from([3, 0, 3, 1, 0, 3]), shape: [6] };
    expectSameOnBoth(() => tf.unsortedSegmentSum(f32(x), i32(ids) as tf.Tensor1D, 5)); // segment 2 and 4 stay zero
  });
  it('2-D ids (a prefix of x shape) against a brute-force sum', () => {
    // The cpu backend handles only 1-D ids, so the reference here is a plain loop.
    const x = randomValues(rng, [3, 7, 2]);
    const ids = randomIndices(rng, [3, 7], 4);
    const expected = new Float64Array(4 * 2);
    for (let i = 0; i < 21; i++) for (let j = 0; j < 2; j++) expected[ids.values[i] * 2 + j] += x.values[i * 2 + j];
    const [out] = runOn('wasm', () => tf.unsortedSegmentSum(f32(x), i32(ids) as tf.Tensor1D, 4));
    expect(out.shape).toEqual([4, 2]);
    for (let i = 0; i < 8; i++) expect(Math.abs(out.values[i] - expected[i])).toBeLessThanOrEqual(TOLERANCE);
  });
  it('1-D values (slice size 1)', () => {
    const x = randomValues(rng, [50]);
    const ids = randomIndices(rng, [50], 9);
    expectSameOnBoth(() => tf.unsortedSegmentSum(f32(x), i32(ids) as tf.Tensor1D, 9));
  });
  it('sums by brute force on a hand example', () => {
    const out = runOn('wasm', () =>
      tf.unsortedSegmentSum(tf.tensor2d([[1, 2], [3, 4], [5, 6]]), tf.tensor1d([2, 0, 2], 'int32'), 3),
    );
    expect(Array.from(out[0].values)).toEqual([3, 4, 0, 0, 6, 8]);
  });
});

describe('gather on wasm equals cpu', () => {
  const rng = seededRandom('kernels-gather');
  it('batchDims 0 on each axis', () => {
    const x = randomValues(rng, [6, 5, 4]);
    for (const axis of [0, 1, 2]) {
      const idx = randomIndices(rng, [2, 3], [6, 5, 4][axis]);
      expectSameOnBoth(() => tf.gather(f32(x), i32(idx), axis));
    }
  });
  it('batchDims 1 on axes 1 and 2, and batchDims 2', () => {
    const x = randomValues(rng, [4, 6, 5, 3]);
    const idx1 = randomIndices(rng, [4, 7], 6);
    const idx2 = randomIndices(rng, [4, 2, 3], 5);
    const idx3 = randomIndices(rng, [4, 6, 2], 5);
    expectSameOnBoth(() => tf.gather(f32(x), i32(idx1), 1, 1));
    expectSameOnBoth(() => tf.gather(f32(x), i32(idx2), 2, 1));
    expectSameOnBoth(() => tf.gather(f32(x), i32(idx3), 2, 2));
    const y = randomValues(rng, [4, 9]);
    const idx4 = randomIndices(rng, [4, 3], 9);
    expectSameOnBoth(() => tf.gather(f32(y), i32(idx4), 1, 1));
  });
  it('gradient of an embedding lookup (gather, batchDims 0) with repeated ids', () => {
    const table = randomValues(rng, [10, 4]);
    const ids = randomIndices(rng, [8, 5], 10);
    const w = randomValues(rng, [8, 5, 4]);
    expectSameOnBoth(() => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, i32(ids)), f32(w))))(f32(table)));
  });
  it('rejects an out-of-range index', () => {
    tf.setBackend('wasm');
    expect(() => tf.gather(tf.zeros([2, 3]), tf.tensor2d([[0], [3]], [2, 1], 'int32'), 1, 1)).toThrow(/not in \[0, 2\]/);
  });
});

describe('weightedRowSum2d (c^T X) on wasm', () => {
  const rng = seededRandom('kernels-weighted-row-sum');
  it('equals a brute-force sum for row counts that are and are not multiples of 4, and the cpu path', () => {
    for (const [rows, n] of [
      [8, 37],
      [7, 5],
      [1, 12],
      [33, 64],
    ]) {
      const x = randomValues(rng, [rows, n]);
      const c = randomValues(rng, [rows]);
      const [out] = runOn('wasm', () => weightedRowSum2d(f32(x) as tf.Tensor2D, f32(c) as tf.Tensor1D));
      expect(out.shape).toEqual([n]);
      let maxDiff = 0;
      let scale = 0;
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let r = 0; r < rows; r++) sum += c.values[r] * x.values[r * n + j];
        maxDiff = Math.max(maxDiff, Math.abs(out.values[j] - sum));
        scale = Math.max(scale, Math.abs(sum));
      }
      expect(scale).toBeGreaterThan(0);
      expect(maxDiff / scale).toBeLessThanOrEqual(TOLERANCE);
      expectSameOnBoth(() => weightedRowSum2d(f32(x) as tf.Tensor2D, f32(c) as tf.Tensor1D));
    }
  });
  it('rowSquaredNorms2d equals a brute-force sum of squares and the cpu path', () => {
    for (const [rows, n] of [
      [5, 37],
      [3, 3],
      [32, 64],
    ]) {
      const x = randomValues(rng, [rows, n]);
      const [out] = runOn('wasm', () => rowSquaredNorms2d(f32(x) as tf.Tensor2D));
      expect(out.shape).toEqual([rows]);
      for (let r = 0; r < rows; r++) {
        let sum = 0;
        for (let j = 0; j < n; j++) sum += x.values[r * n + j] ** 2;
        expect(Math.abs(out.values[r] - sum) / sum).toBeLessThanOrEqual(TOLERANCE);
      }
      expectSameOnBoth(() => rowSquaredNorms2d(f32(x) as tf.Tensor2D));
    }
  });
  it('rejects mismatched shapes', () => {
    tf.setBackend('wasm');
    expect(() => weightedRowSum2d(tf.zeros([3, 4]) as tf.Tensor2D, tf.zeros([2]) as tf.Tensor1D)).toThrow(/x \[R, N\] and c \[R\]/);
  });
});

describe('clipPass on wasm (with the fixes) equals cpu', () => {
  // End to end on a tiny LSTM: per-example blocks, c^T X sums, Gram matrices and the reshaped
  // right operands that once hit a stale XNNPACK operator.
  const model = tinyModel({ cell: 'lstm' });
  const windows = randomWindows(6, 5, model.config.vocabSize);
  it('a pass with a single parameter use returns live squared norms', () => {
    expectSameOnBoth(() => {
      const batch = makeBatch(windows, [0, 1, 2], model.config.vocabSize);
      const pass = forwardWithTaps(model, batch.inputs, batch.targets);
      const r = clipPass({ ...pass, uses: pass.uses.filter((u) => u.kind === 'linear').slice(0, 1) }, 0.5, 'auto');
      pass.dispose();
      return [r.squaredNorms, ...r.sums.values()];
    });
  });
  for (const method of ['auto', 'ghost', 'materialize'] as const) {
    it(`squared norms and clipped sums, ${method}`, () => {
      expectSameOnBoth(() => {
        const batch = makeBatch(windows, [0, 1, 2, 3, 4, 5], model.config.vocabSize);
        const pass = forwardWithTaps(model, batch.inputs, batch.targets);
        const r = clipPass(pass, 0.5, method);
        pass.dispose();
        return [r.squaredNorms, ...[...r.sums.keys()].sort().map((k) => r.sums.get(k)!)];
      });
    });
  }
});

describe('fixed kernels release what they allocate', () => {
  it('no tensors, data ids or wasm heap are left behind after many calls', () => {
    tf.setBackend('wasm');
    const backend = tf.backend();
    const heap = (): number => (backend as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.length;
    const rng = seededRandom('kernels-leaks');
    const a = f32(randomValues(rng, [16, 200, 96]));
    const b = f32(randomValues(rng, [16, 96, 200]));
    const table = f32(randomValues(rng, [30, 8]));
    const ids = i32(randomIndices(rng, [16, 200], 30));
    const round = (): void => {
      tf.tidy(() => {
        const outs = [
          tf.matMul(a, b, true, true), // transposed copies of both operands, then per-batch products
          tf.matMul(a, b, false, false),
          tf.matMul(a, tf.reshape(tf.slice(b, [0, 0, 0], [1, 96, 200]), [96, 200])), // stacked product
          tf.grad((t: tf.Tensor) => tf.sum(tf.gather(t, ids)))(table),
          tf.gather(a, tf.tensor2d([[1], [2]], [2, 1], 'int32'), 1, 0),
          ...tf.unstack(a, 1),
        ];
        for (const t of outs) t.dataSync();
      });
    };
    round(); // warm-up: lets the heap reach its working size
    const tensorsBefore = tf.memory().numTensors;
    const idsBefore = backend.numDataIds();
    const heapBefore = heap();
    for (let i = 0; i < 30; i++) round();
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(backend.numDataIds()).toBe(idsBefore);
    // Each round allocates over 1 MB of temporaries; a leak would grow the heap by over 30 MB.
    expect(heap()).toBe(heapBefore);
    tf.dispose([a, b, table, ids]);
  });
});
