/**
 * Kernel fixes for the tfjs wasm backend (tfjs 4.22), registered at start-up when wasm runs.
 * Each replaces (or supplies) one kernel; see the file of each for what was wrong and measured.
 */
import { engine, getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import type { KernelBackend, KernelConfig } from '@tensorflow/tfjs-core';
import { batchMatMulFixConfig } from './batch-matmul.js';
import { makeGatherV2Fix } from './gather.js';
import { unpackFixConfig } from './unpack.js';
import { unsortedSegmentSumConfig } from './unsorted-segment-sum.js';

/** The package's kernels we replaced (undefined: there was none), kept for restoring and benchmarks. */
const originals = new Map<string, KernelConfig | undefined>();

function fixConfigs(): KernelConfig[] {
  const gather = getKernel('GatherV2', 'wasm');
  const configs = [unsortedSegmentSumConfig, unpackFixConfig, batchMatMulFixConfig];
  if (gather !== undefined) configs.push(makeGatherV2Fix(gather));
  return configs;
}

function runSetup(config: KernelConfig | undefined): void {
  // engine().registry holds only initialised backends; findBackend would start initialising.
  const backend: KernelBackend | undefined = engine().registry['wasm'];
  if (config?.setupFunc !== undefined && backend !== undefined) config.setupFunc(backend);
}

/**
 * Registers the wasm kernel fixes (UnsortedSegmentSum, Unpack, BatchMatMul, GatherV2) in
 * place of the package's kernels. Idempotent; works whether or not the wasm backend has been
 * initialised yet. Returns the kernel names now served by a fix.
 */
export function registerWasmKernelFixes(): string[] {
  if (originals.size > 0) return [...originals.keys()];
  for (const config of fixConfigs()) {
    const original = getKernel(config.kernelName, 'wasm');
    originals.set(config.kernelName, original);
    if (original !== undefined) unregisterKernel(config.kernelName, 'wasm');
    registerKernel(config);
    // The engine runs setupFuncs only when a backend initialises; do it now if it already has.
    runSetup(config);
  }
  return [...originals.keys()];
}

/** Puts the package's own kernels back (for benchmarks comparing before and after). */
export function unregisterWasmKernelFixes(): void {
  for (const [name, original] of originals) {
    unregisterKernel(name, 'wasm');
    if (original !== undefined) {
      registerKernel(original);
      runSetup(original);
    }
  }
  originals.clear();
}

/** Names of the kernels currently replaced by a fix (empty when none are registered). */
export function wasmKernelFixesRegistered(): string[] {
  return [...originals.keys()];
}
