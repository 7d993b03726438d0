/**
 * GatherV2 for the wasm backend, in JS on heap views, for every batchDims.
 * Why (measured with tfjs 4.22 on this machine): the package's kernel returns wrong values
 * for batchDims = 1 (differs from cpu by up to 2x the largest |value|) and crashes with "memory
 * access out of bounds" for batchDims = 2; for batchDims = 0 it is correct but slow (embedding
 * lookup [64,32] by [32,50]: 2.2 ms vs 0.33 ms here; 10 rows of a [50,32,512] tensor: 6.2 ms vs
 * 0.33 ms; axis 1 of it: 26 ms vs 1.7 ms), so it is kept only for dtypes we do not handle.
 * out[b, o, i, s] = x[b, o, indices[b, i], s], with x viewed as
 * [batch, outer, dim, slice] and indices as [batch, indicesPerBatch].
 */
import { backend_util, GatherV2, util } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmBackend } from './wasm-internals.js';
import { InvalidArgumentError } from '../../util/errors.js';

interface GatherArgs {
  inputs: { x: TensorInfo; indices: TensorInfo };
  backend: WasmBackend;
  attrs: NamedAttrMap;
}

function gatherOnHeap(args: GatherArgs, batchDims: number): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, indices } = inputs;
  const axis = util.parseAxisParam(attrs['axis'] as number, x.shape)[0]!;
  const info = backend_util.segment_util.collectGatherOpShapeInfo(x, indices, axis, batchDims);
  const idx = backend.readSync(indices.dataId) as ArrayLike<number>;
  for (let i = 0; i < idx.length; i++) {
    const v = idx[i]!;
    if (!(v >= 0 && v < info.dimSize)) throw new InvalidArgumentError(`GatherV2: the index value ${v} is not in [0, ${info.dimSize - 1}]`);
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
        const from = (rowBase + idx[b * perBatch + i]!) * sliceSize;
        if (sliceSize === 1) dst[to] = src[from]!;
        else dst.set(src.subarray(from, from + sliceSize), to);
        to += sliceSize;
      }
    }
  }
  return out;
}

/** The fixed GatherV2 kernel; `original` (the package's kernel) serves string tensors only. */
export function makeGatherV2Fix(original: KernelConfig): KernelConfig {
  const gather = (args: GatherArgs): TensorInfo | TensorInfo[] => {
    if (args.inputs.x.dtype === 'string') return original.kernelFunc(args as unknown as Parameters<KernelFunc>[0]);
    let batchDims = (args.attrs['batchDims'] as number | undefined) ?? 0;
    if (batchDims < 0) batchDims += args.inputs.indices.shape.length;
    return gatherOnHeap(args, batchDims);
  };
  return {
    kernelName: GatherV2,
    backendName: 'wasm',
    setupFunc: original.setupFunc,
    kernelFunc: gather as unknown as KernelFunc,
  };
}
