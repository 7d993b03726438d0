/**
 * Two reductions of per-example gradients stored one example per row, X [R, N] (float32), on
 * wasm in JS on heap views:
 * - out = c^T X for c [R]: the clipped sum sum_i c_i grad_i;
 * - out[r] = ||X[r, :]||^2: the per-example squared norms (tf.sum(tf.square(X), 1) writes a
 *   full copy of X first: 2.2 vs 1.1 ms at R = 32, N = 160 * 512, and R N floats of memory).
 *
 * Why: tf.matMul(c [1, R], X) makes X the right operand, which XNNPACK packs before every
 * product (X is fresh each step, so nothing is cached): measured 7.5-8 ms for R = 32,
 * N = 160 * 512 (the bench LSTM's W and U), against ~1.5 ms for this loop, which reads X once.
 * It has no gradient (clipped sums are never differentiated).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmBackend } from './wasm-internals.js';
import { InvalidArgumentError } from '../../util/errors.js';

/** Names under which the kernels are registered (our own ops, not tfjs kernels). */
export const WEIGHTED_ROW_SUM = 'DpcWeightedRowSum';
export const ROW_SQUARED_NORMS = 'DpcRowSquaredNorms';

interface WeightedRowSumArgs {
  inputs: { x: TensorInfo; c: TensorInfo };
  backend: WasmBackend;
}

/** out[j] = sum_r c[r] x[r * n + j] into `out` (length n), four rows per pass over `out`. */
export function weightedRowSumInto(x: ArrayLike<number>, c: ArrayLike<number>, rows: number, n: number, out: Float32Array): void {
  out.fill(0);
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const c0 = c[r]!;
    const c1 = c[r + 1]!;
    const c2 = c[r + 2]!;
    const c3 = c[r + 3]!;
    const o0 = r * n;
    const o1 = o0 + n;
    const o2 = o1 + n;
    const o3 = o2 + n;
    for (let j = 0; j < n; j++) out[j]! += c0 * x[o0 + j]! + c1 * x[o1 + j]! + c2 * x[o2 + j]! + c3 * x[o3 + j]!;
  }
  for (; r < rows; r++) {
    const cr = c[r]!;
    const o = r * n;
    for (let j = 0; j < n; j++) out[j]! += cr * x[o + j]!;
  }
}

function weightedRowSum(args: WeightedRowSumArgs): TensorInfo {
  const { inputs, backend } = args;
  const { x, c } = inputs;
  if (x.dtype !== 'float32' || c.dtype !== 'float32') throw new InvalidArgumentError('WeightedRowSum supports float32 only.');
  if (x.shape.length !== 2 || c.shape.length !== 1 || c.shape[0] !== x.shape[0]) {
    throw new InvalidArgumentError(`WeightedRowSum needs x [R, N] and c [R], got ${JSON.stringify(x.shape)} and ${JSON.stringify(c.shape)}.`);
  }
  const [rows, n] = x.shape as [number, number];
  // Output first: a later allocation could grow the heap and detach the views.
  const out = backend.makeOutput([n], 'float32');
  const xs = backend.typedArrayFromHeap(x);
  const cs = backend.typedArrayFromHeap(c);
  weightedRowSumInto(xs, cs, rows, n, backend.typedArrayFromHeap(out) as Float32Array);
  return out;
}

/** out[r] = sum_j x[r * n + j]^2, four partial sums per row. */
export function rowSquaredNormsInto(x: ArrayLike<number>, rows: number, n: number, out: Float32Array): void {
  for (let r = 0; r < rows; r++) {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    const o = r * n;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const a = x[o + j]!;
      const b = x[o + j + 1]!;
      const c = x[o + j + 2]!;
      const d = x[o + j + 3]!;
      s0 += a * a;
      s1 += b * b;
      s2 += c * c;
      s3 += d * d;
    }
    for (; j < n; j++) {
      const a = x[o + j]!;
      s0 += a * a;
    }
    out[r] = s0 + s1 + s2 + s3;
  }
}

function rowSquaredNorms(args: { inputs: { x: TensorInfo }; backend: WasmBackend }): TensorInfo {
  const { inputs, backend } = args;
  const { x } = inputs;
  if (x.dtype !== 'float32' || x.shape.length !== 2) throw new InvalidArgumentError(`RowSquaredNorms needs float32 x [R, N], got ${x.dtype} ${JSON.stringify(x.shape)}.`);
  const [rows, n] = x.shape as [number, number];
  const out = backend.makeOutput([rows], 'float32');
  rowSquaredNormsInto(backend.typedArrayFromHeap(x), rows, n, backend.typedArrayFromHeap(out) as Float32Array);
  return out;
}

export const rowSquaredNormsConfig: KernelConfig = {
  kernelName: ROW_SQUARED_NORMS,
  backendName: 'wasm',
  kernelFunc: rowSquaredNorms as unknown as KernelFunc,
};

export const weightedRowSumConfig: KernelConfig = {
  kernelName: WEIGHTED_ROW_SUM,
  backendName: 'wasm',
  kernelFunc: weightedRowSum as unknown as KernelFunc,
};

/**
 * sum_r c[r] x[r, :] for x [R, N] and c [R]: [N]. On wasm by the kernel above (registered on
 * first use); on other backends tf.matMul(c^T, x).
 */
export function weightedRowSum2d(x: tf.Tensor2D, c: tf.Tensor1D): tf.Tensor1D {
  if (tf.getBackend() === 'wasm' && x.dtype === 'float32' && c.dtype === 'float32') {
    if (tf.getKernel(WEIGHTED_ROW_SUM, 'wasm') === undefined) tf.registerKernel(weightedRowSumConfig);
    return tf.engine().runKernel(WEIGHTED_ROW_SUM, { x, c }, {}) as tf.Tensor1D;
  }
  return tf.tidy(() => tf.reshape(tf.matMul(tf.reshape(c, [1, -1]), x), [-1]) as tf.Tensor1D);
}

/** ||x[r, :]||^2 for x [R, N]: [R]. On wasm by the kernel above (registered on first use); else tf ops. */
export function rowSquaredNorms2d(x: tf.Tensor2D): tf.Tensor1D {
  if (tf.getBackend() === 'wasm' && x.dtype === 'float32') {
    if (tf.getKernel(ROW_SQUARED_NORMS, 'wasm') === undefined) tf.registerKernel(rowSquaredNormsConfig);
    return tf.engine().runKernel(ROW_SQUARED_NORMS, { x }, {}) as tf.Tensor1D;
  }
  return tf.tidy(() => tf.sum(tf.square(x), 1) as tf.Tensor1D);
}
