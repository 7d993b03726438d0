/**
 * Unpack (tf.unstack) for the wasm backend: one strided copy per output on heap views.
 * Why: the package's kernel runs one generic Slice per output, which measured ~58 ms for
 * unstacking a [50, 32, 512] tensor along axis 0 (a 3 MB copy).
 */
import { Unpack, util } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmBackend } from './wasm-internals.js';
import { InvalidArgumentError } from '../../util/errors.js';

interface UnpackArgs {
  inputs: { value: TensorInfo };
  backend: WasmBackend;
  attrs: NamedAttrMap;
}

function unpack(args: UnpackArgs): TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const { value } = inputs;
  const rank = value.shape.length;
  let axis = attrs['axis'] as number;
  if (axis < 0) axis += rank;
  util.assert(axis >= 0 && axis < rank, () => `Unpack: axis ${attrs['axis']} is out of range for rank ${rank}.`);
  if (value.dtype === 'string') throw new InvalidArgumentError('Unpack on wasm does not support string tensors.');
  const count = value.shape[axis]!;
  const outShape = value.shape.filter((_, d) => d !== axis);
  const outer = util.sizeFromShape(value.shape.slice(0, axis));
  const inner = util.sizeFromShape(value.shape.slice(axis + 1));
  // All outputs first: a later allocation could grow the heap and detach earlier views.
  const outs: TensorInfo[] = [];
  for (let i = 0; i < count; i++) outs.push(backend.makeOutput(outShape, value.dtype));
  const src = backend.typedArrayFromHeap(value);
  for (let i = 0; i < count; i++) {
    const dst = backend.typedArrayFromHeap(outs[i]!);
    if (inner === 1) {
      for (let o = 0; o < outer; o++) dst[o] = src[o * count + i]!;
    } else {
      for (let o = 0; o < outer; o++) {
        const from = (o * count + i) * inner;
        dst.set(src.subarray(from, from + inner), o * inner);
      }
    }
  }
  return outs;
}

export const unpackFixConfig: KernelConfig = {
  kernelName: Unpack,
  backendName: 'wasm',
  kernelFunc: unpack as unknown as KernelFunc,
};
