/**
 * BatchMatMul for the wasm backend: every case is reduced to plain (non-transposed,
 * batch-1) products, which the backend's C++ kernel runs through XNNPACK at ~10 GFLOP/s.
 *
 * Why: in tfjs-backend-wasm 4.22 only the plain case takes the XNNPACK path; transposeA,
 * transposeB and batch > 1 fall back to a naive loop (at LSTM sizes the fixes measured
 * 8-10x faster for NT/TT, 26-43x for TN, 9-18x for batched products; bench/backend.bench.ts). Here a transposed operand is copied transposed (a cheap,
 * memory-bound blocked copy in JS), or the product is computed transposed (out^T = B^T A^T)
 * when that copies and packs less; a batched product with a shared right operand becomes one
 * tall product, and other batched products become one plain product per batch entry, run on
 * zero-copy aliases of the heap.
 */
import { BatchMatMul, broadcast_util, util } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import {
  aliasHeap,
  f32View,
  offsetOf,
  releaseAlias,
  type WasmBackend,
} from './wasm-internals.js';
import { InvalidArgumentError } from '../../util/errors.js';

type WasmBatchMatMulFn = (
  aId: number,
  aShape: Uint8Array,
  aRank: number,
  bId: number,
  bShape: Uint8Array,
  bRank: number,
  transposeA: number,
  transposeB: number,
  outId: number,
) => void;

const cwrapped = new WeakMap<WasmBackend, WasmBatchMatMulFn>();

function wasmBatchMatMul(backend: WasmBackend): WasmBatchMatMulFn {
  let fn = cwrapped.get(backend);
  if (fn === undefined) {
    // Same C++ entry point and argument list as the package's own BatchMatMul kernel.
    const args: ('number' | 'array')[] = ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number'];
    fn = backend.wasm.cwrap(BatchMatMul, null, args) as WasmBatchMatMulFn;
    cwrapped.set(backend, fn);
  }
  return fn;
}

function shapeBytes(shape: number[]): Uint8Array {
  return new Uint8Array(new Int32Array(shape).buffer);
}

/** out[m,n] = a[m,k] b[k,n] by the backend's C++ kernel, on tensors known by id. */
function plainProduct(backend: WasmBackend, aId: number, bId: number, outId: number, m: number, k: number, n: number): void {
  wasmBatchMatMul(backend)(aId, shapeBytes([1, m, k]), 3, bId, shapeBytes([1, k, n]), 3, 0, 0, outId);
}

/**
 * Writes the transpose of each of `count` row-major [rows, cols] matrices at heap offset
 * `srcPtr` to `dstPtr` ([cols, rows] each). Blocked so both sides stay in cache.
 */
export function transposeMatrices(
  src: Float32Array,
  dst: Float32Array,
  count: number,
  rows: number,
  cols: number,
): void {
  const block = 32;
  const size = rows * cols;
  for (let c = 0; c < count; c++) {
    const base = c * size;
    for (let r0 = 0; r0 < rows; r0 += block) {
      const r1 = Math.min(r0 + block, rows);
      for (let c0 = 0; c0 < cols; c0 += block) {
        const c1 = Math.min(c0 + block, cols);
        for (let r = r0; r < r1; r++) {
          const srcRow = base + r * cols;
          for (let j = c0; j < c1; j++) dst[base + j * rows + r] = src[srcRow + j]!;
        }
      }
    }
  }
}

/** Index of the operand's batch matrix for each output batch entry, numpy broadcasting. */
export function broadcastBatchIndex(operandBatch: number[], outBatch: number[]): Int32Array {
  const total = util.sizeFromShape(outBatch);
  const rank = outBatch.length;
  const padded = new Array<number>(rank - operandBatch.length).fill(1).concat(operandBatch);
  const strides = new Array<number>(rank);
  let s = 1;
  for (let d = rank - 1; d >= 0; d--) {
    strides[d] = padded[d] === 1 ? 0 : s;
    s *= padded[d]!;
  }
  const index = new Int32Array(total);
  for (let flat = 0; flat < total; flat++) {
    let rest = flat;
    let at = 0;
    for (let d = rank - 1; d >= 0; d--) {
      const coord = rest % outBatch[d]!;
      rest = (rest - coord) / outBatch[d]!;
      at += coord * strides[d]!;
    }
    index[flat] = at;
  }
  return index;
}

/**
 * The shape [k, n] each tensor (by dataId) was first passed in as a right operand by its own id.
 * The backend's C++ kernel caches the XNNPACK operator (with the packed right operand) by
 * tensor id alone, so the same data reshaped (g as [T, B*P], then as [T*B, P]) would reuse an
 * operator built for the other shape: wrong values or "memory access out of bounds"
 * (reproduced with tfjs 4.22). Such a use gets a fresh alias id instead.
 */
const rightShapes = new WeakMap<object, string>();

interface MatMulArgs {
  inputs: { a: TensorInfo; b: TensorInfo };
  backend: WasmBackend;
  attrs: NamedAttrMap;
}

/** Copies `count` transposed matrices of `t` into a fresh heap buffer; returns its offset. */
function transposedCopy(backend: WasmBackend, t: TensorInfo, count: number, rows: number, cols: number): number {
  const size = count * rows * cols;
  const ptr = backend.wasm._malloc(size * 4);
  // Views are taken after the malloc (which may grow and detach the heap).
  transposeMatrices(f32View(backend, offsetOf(backend, t), size), f32View(backend, ptr, size), count, rows, cols);
  return ptr;
}

/** A row-major operand of a plain product: heap offset, batch shape, and the tensor id to
 *  pass when it is an untouched input (-1 for a temporary copy). */
interface Operand {
  ptr: number;
  batch: number[];
  ownId: number;
}

/**
 * out[i] = left[il(i)] right[ir(i)] for every output batch entry i (broadcast indices), with
 * left [rows, inner] and right [inner, cols] matrices, written at heap offset `outPtr`.
 */
function batchedPlainProducts(
  backend: WasmBackend,
  left: Operand,
  right: Operand,
  outBatch: number[],
  outPtr: number,
  rows: number,
  inner: number,
  cols: number,
): void {
  const batchLeft = util.sizeFromShape(left.batch);
  const batchRight = util.sizeFromShape(right.batch);
  const batchOut = util.sizeFromShape(outBatch);
  if (batchRight === 1 && batchLeft === batchOut) {
    // Shared right operand: stack all left matrices into one tall product.
    const leftId = aliasHeap(backend, left.ptr, batchLeft * rows * inner);
    const rightId = right.ownId >= 0 ? right.ownId : aliasHeap(backend, right.ptr, inner * cols);
    const outId = aliasHeap(backend, outPtr, batchOut * rows * cols);
    plainProduct(backend, leftId, rightId, outId, batchLeft * rows, inner, cols);
    releaseAlias(backend, leftId);
    if (rightId !== right.ownId) releaseAlias(backend, rightId);
    releaseAlias(backend, outId);
    return;
  }
  const il = broadcastBatchIndex(left.batch, outBatch);
  const ir = broadcastBatchIndex(right.batch, outBatch);
  for (let i = 0; i < batchOut; i++) {
    const leftId = aliasHeap(backend, left.ptr + il[i]! * rows * inner * 4, rows * inner);
    const rightId = aliasHeap(backend, right.ptr + ir[i]! * inner * cols * 4, inner * cols);
    const outId = aliasHeap(backend, outPtr + i * rows * cols * 4, rows * cols);
    plainProduct(backend, leftId, rightId, outId, rows, inner, cols);
    releaseAlias(backend, leftId);
    releaseAlias(backend, rightId);
    releaseAlias(backend, outId);
  }
}

function batchMatMul(args: MatMulArgs): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { a, b } = inputs;
  const transposeA = attrs['transposeA'] === true;
  const transposeB = attrs['transposeB'] === true;
  if (a.dtype !== 'float32' || b.dtype !== 'float32') {
    throw new InvalidArgumentError('BatchMatMul on wasm supports float32 only.');
  }
  const aRank = a.shape.length;
  const bRank = b.shape.length;
  const m = (transposeA ? a.shape[aRank - 1] : a.shape[aRank - 2])!;
  const k = (transposeA ? a.shape[aRank - 2] : a.shape[aRank - 1])!;
  const kB = (transposeB ? b.shape[bRank - 1] : b.shape[bRank - 2])!;
  const n = (transposeB ? b.shape[bRank - 2] : b.shape[bRank - 1])!;
  util.assert(
    k === kB,
    () => `Error in matMul: inner shapes (${k}) and (${kB}) of Tensors with shapes ${a.shape} and ${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`,
  );
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  const outBatch = broadcast_util.assertAndGetBroadcastShape(aBatch, bBatch);
  const batchA = util.sizeFromShape(aBatch);
  const batchB = util.sizeFromShape(bBatch);
  const batchOut = util.sizeFromShape(outBatch);
  const out = backend.makeOutput([...outBatch, m, n], 'float32');
  if (batchOut * m * n === 0) return out;
  if (k === 0) {
    backend.typedArrayFromHeap(out).fill(0);
    return out;
  }

  // Two ways to reduce to plain products; XNNPACK repacks the right operand of each product
  // (unless it is an input it has cached by id), so count transposed copies plus packing:
  //   direct:  out   = A' B'   (A' = A or A^T as [m,k], B' as [k,n]), packs B'
  //   swapped: out^T = B'' A'' (B'' as [n,k], A'' as [k,m]), packs A'', then transposes out.
  const directCost = (transposeA ? batchA * m * k : 0) + (transposeB ? batchB * k * n : 0) + batchB * k * n;
  const swappedCost =
    (transposeB ? 0 : batchB * k * n) + (transposeA ? 0 : batchA * m * k) + batchA * k * m + batchOut * m * n;
  const swapped = (transposeA || transposeB) && swappedCost < directCost;

  const temps: number[] = [];
  const operand = (t: TensorInfo, batch: number[], copy: boolean, rows: number, cols: number, right: boolean): Operand => {
    if (!copy) {
      let ownId = backend.dataIdMap.get(t.dataId).id;
      if (right) {
        const key = `${batch.join(',')}:${rows}x${cols}`;
        const first = rightShapes.get(t.dataId);
        if (first === undefined) rightShapes.set(t.dataId, key);
        else if (first !== key) ownId = -1;
      }
      return { ptr: offsetOf(backend, t), batch, ownId };
    }
    const ptr = transposedCopy(backend, t, util.sizeFromShape(batch), rows, cols);
    temps.push(ptr);
    return { ptr, batch, ownId: -1 };
  };
  try {
    if (!swapped) {
      // A stored [m,k] unless transposed ([k,m]); B stored [k,n] unless transposed ([n,k]).
      const left = operand(a, aBatch, transposeA, k, m, false);
      const right = operand(b, bBatch, transposeB, n, k, true);
      batchedPlainProducts(backend, left, right, outBatch, offsetOf(backend, out), m, k, n);
    } else {
      const left = operand(b, bBatch, !transposeB, k, n, false);
      const right = operand(a, aBatch, !transposeA, m, k, true);
      const size = batchOut * m * n;
      const tmp = backend.wasm._malloc(size * 4);
      temps.push(tmp);
      batchedPlainProducts(backend, left, right, outBatch, tmp, n, k, m);
      transposeMatrices(f32View(backend, tmp, size), backend.typedArrayFromHeap(out) as Float32Array, batchOut, n, m);
    }
  } finally {
    for (const ptr of temps) backend.wasm._free(ptr);
  }
  return out;
}

export const batchMatMulFixConfig: KernelConfig = {
  kernelName: BatchMatMul,
  backendName: 'wasm',
  kernelFunc: batchMatMul as unknown as KernelFunc,
};
