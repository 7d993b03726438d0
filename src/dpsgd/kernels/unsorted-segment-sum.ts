/**
 * UnsortedSegmentSum for the wasm backend, which has none in tfjs 4.22; without it the
 * gradient of tf.gather (so of every embedding layer) throws on wasm.
 * out[s, ...] = sum of x[i, ...] over all i with segmentIds[i] = s, where segmentIds' shape is
 * a prefix of x's; ids outside [0, numSegments) are dropped, as in TensorFlow and the cpu backend.
 */
import { UnsortedSegmentSum, util } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmBackend } from './wasm-internals.js';
import { InvalidArgumentError } from '../../util/errors.js';

interface SegmentSumArgs {
  inputs: { x: TensorInfo; segmentIds: TensorInfo };
  backend: WasmBackend;
  attrs: NamedAttrMap;
}

function unsortedSegmentSum(args: SegmentSumArgs): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, segmentIds } = inputs;
  const numSegments = attrs['numSegments'] as number;
  if (x.dtype !== 'float32' && x.dtype !== 'int32') {
    throw new InvalidArgumentError(`UnsortedSegmentSum on wasm supports float32 and int32, not ${x.dtype}.`);
  }
  const idRank = segmentIds.shape.length;
  util.assert(
    util.arraysEqual(segmentIds.shape, x.shape.slice(0, idRank)),
    () => `UnsortedSegmentSum: segmentIds shape ${segmentIds.shape} must be a prefix of x shape ${x.shape}.`,
  );
  const slice = util.sizeFromShape(x.shape.slice(idRank));
  const count = util.sizeFromShape(segmentIds.shape);
  const out = backend.makeOutput([numSegments, ...x.shape.slice(idRank)], x.dtype);
  const ids = backend.readSync(segmentIds.dataId) as ArrayLike<number>;
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  dst.fill(0);
  for (let i = 0; i < count; i++) {
    const s = ids[i]!;
    if (s < 0 || s >= numSegments) continue;
    const from = i * slice;
    const to = s * slice;
    for (let j = 0; j < slice; j++) dst[to + j]! += src[from + j]!;
  }
  return out;
}

export const unsortedSegmentSumConfig: KernelConfig = {
  kernelName: UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSum as unknown as KernelFunc,
};
