/**
 * The parts of the tfjs wasm backend (4.22) that JS-side kernels use, typed here because the
 * package's own declaration of `BackendWasm` does not expose the emscripten module's heap.
 * Read from node_modules/@tensorflow/tfjs-backend-wasm/dist/backend_wasm.js.
 *
 * Heap views go stale whenever the wasm memory grows (any malloc may grow it), so every kernel
 * allocates all its outputs first and only then takes views with `f32View` / `typedArrayFromHeap`.
 */
import type { DataType, TensorInfo, backend_util } from '@tensorflow/tfjs-core';

/** One tensor's bookkeeping entry in the wasm backend. */
export interface WasmTensorData {
  /** The id the C++ side knows the tensor by. */
  id: number;
  /** Byte offset of the tensor's data in the wasm heap. */
  memoryOffset: number;
  shape: number[];
  dtype: DataType;
}

export type CwrapArgType = 'number' | 'array';

/** The emscripten module inside the wasm backend. */
export interface WasmModule {
  HEAPU8: Uint8Array;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  cwrap(name: string, returnType: null, argTypes: CwrapArgType[]): (...args: unknown[]) => void;
  tfjs: {
    registerTensor(id: number, size: number, memoryOffset: number): void;
    disposeData(id: number): void;
  };
}

/** The wasm backend as its JS-side kernels see it. */
export interface WasmBackend {
  wasm: WasmModule;
  dataIdNextNumber: number;
  dataIdMap: { get(dataId: object): WasmTensorData };
  readSync(dataId: object): backend_util.BackendValues;
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): backend_util.TypedArray;
  disposeData(dataId: object, force?: boolean): boolean;
}

/** A float32 view of `size` elements starting at byte offset `ptr` of the heap (take it late). */
export function f32View(backend: WasmBackend, ptr: number, size: number): Float32Array {
  return new Float32Array(backend.wasm.HEAPU8.buffer, ptr, size);
}

/** Byte offset of a tensor's data in the heap. */
export function offsetOf(backend: WasmBackend, t: TensorInfo): number {
  return backend.dataIdMap.get(t.dataId).memoryOffset;
}

/**
 * Registers `size` float32 elements at heap byte offset `ptr` as a tensor the C++ kernels can
 * read or write, without copying or owning the memory. Release with `releaseAlias`, which
 * leaves the memory alone (the owner frees it).
 */
export function aliasHeap(backend: WasmBackend, ptr: number, size: number): number {
  const id = backend.dataIdNextNumber++;
  backend.wasm.tfjs.registerTensor(id, size, ptr);
  return id;
}

export function releaseAlias(backend: WasmBackend, id: number): void {
  backend.wasm.tfjs.disposeData(id);
}
