/**
 * GatherV2 for the wasm backend. With batchDims = 0 it delegates to the package's own (fast,
 * correct) kernel; with batchDims >= 1 it gathers in JS, because the package's kernel returns
 * wrong values there (measured with tfjs 4.22: batchDims 1 differs from cpu by up to ~0.9 on
 * uniform(0,1) inputs, and batchDims 2 crashes with "memory access out of bounds").
 * out[b, o, i, s] = x[b, o, indices[b, i], s], with x viewed as
 * [batch, outer, dim, slice] and indices as [batch, indicesPerBatch].
 */
import { backend_util, GatherV2, util } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmBackend } from './wasm-internals.js';

interface GatherArgs {
  inputs: { x: TensorInfo; indices: TensorInfo };
  backend: WasmBackend;
  attrs: NamedAttrMap;
}

function batchedGather(args: GatherArgs, batchDims: number): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, indices } = inputs;
  if (x.dtype === 'string') throw new Error('GatherV2 on wasm does not support string tensors.');
  const axis = util.parseAxisParam(attrs['axis'] as number, x.shape)[0];
  const info = backend_util.segment_util.collectGatherOpShapeInfo(x, indices, axis, batchDims);
  const idx = backend.readSync(indices.dataId) as ArrayLike<number>;
  for (let i = 0; i < idx.length; i++) {
    const v = idx[i];
    util.assert(v >= 0 && v < info.dimSize, () => `GatherV2: the index value ${v} is not in [0, ${info.dimSize - 1}]`);
  }
  const out = backend.makeOutput(info.outputShape, x.dtype);
  if (util.sizeFromShape(info.outputShape) === 0) return out;
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const perBatch = idx.length / info.batchSize;
  const { outerSize, dimSize, sliceSize } = info;
  let to = 0;
  for (let b = 0; b < info.batchSize; b++) {
    for (let o = 0; o < outerSize; o++) {
      const rowBase = (b * outerSize + o) * dimSize;
      for (let i = 0; i < perBatch; i++) {
        const from = (rowBase + idx[b * perBatch + i]) * sliceSize;
        if (sliceSize === 1) dst[to] = src[from];
        else dst.set(src.subarray(from, from + sliceSize), to);
        to += sliceSize;
      }
    }
  }
  return out;
}

/** The fixed GatherV2 kernel, delegating batchDims = 0 to `original` (the package's kernel). */
export function makeGatherV2Fix(original: KernelConfig): KernelConfig {
  const gather = (args: GatherArgs): TensorInfo | TensorInfo[] => {
    let batchDims = (args.attrs['batchDims'] as number | undefined) ?? 0;
    if (batchDims < 0) batchDims += args.inputs.indices.shape.length;
    if (batchDims === 0) return original.kernelFunc(args as unknown as Parameters<KernelFunc>[0]);
    return batchedGather(args, batchDims);
  };
  return {
    kernelName: GatherV2,
    backendName: 'wasm',
    setupFunc: original.setupFunc,
    kernelFunc: gather as unknown as KernelFunc,
  };
}
