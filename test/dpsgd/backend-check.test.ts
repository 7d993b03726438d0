/**
 * The backend self-check at first use: a deliberately broken backend registered under the
 * native backend's name ('tensorflow', tried first) must be caught and replaced by wasm, with
 * one line on stderr. The broken backend is the cpu backend with one kernel sabotaged, so it
 * initialises and runs like a real one.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { BACKEND_ENV_VAR } from '../../src/dpsgd/backend.js';
import { selfCheckBackend } from '../../src/dpsgd/backend-check.js';

type KernelFunc = tf.KernelConfig['kernelFunc'];

/** Registers 'tensorflow' as a copy of the cpu backend whose `kernel` is replaced by `sabotage(original)`. */
function registerBrokenBackend(kernel: string, sabotage: (original: KernelFunc) => KernelFunc): void {
  tf.registerBackend('tensorflow', () => {
    const b = new MathBackendCPU();
    (b as unknown as { firstUse: boolean }).firstUse = false; // no "install tfjs-node" banner: this stands in for tfjs-node
    return b;
  });
  for (const k of tf.getKernelsForBackend('cpu')) {
    tf.registerKernel({ ...k, backendName: 'tensorflow', kernelFunc: k.kernelName === kernel ? sabotage(k.kernelFunc) : k.kernelFunc });
  }
}

function removeBrokenBackend(): void {
  for (const k of tf.getKernelsForBackend('tensorflow')) tf.unregisterKernel(k.kernelName, 'tensorflow');
  tf.removeBackend('tensorflow');
}

/** Exp that is off by 1% (a wrong kernel that still returns plausible numbers). */
const slightlyWrongExp = (original: KernelFunc): KernelFunc => (args) => {
  const out = original(args) as tf.TensorInfo;
  const backend = args.backend as unknown as MathBackendCPU;
  const values = backend.data.get(out.dataId)!.values as Float32Array;
  for (let i = 0; i < values.length; i++) values[i]! *= 1.01;
  return out;
};

/** A kernel that fails outright. */
const throwing = (): KernelFunc => () => {
  throw new Error('kernel not implemented on this device');
};

let stderr: string;
beforeAll(() => {
  delete process.env[BACKEND_ENV_VAR];
});
afterEach(() => {
  vi.restoreAllMocks();
  removeBrokenBackend();
});

/** A fresh backend module (its choice is made once per module instance), with stderr captured. */
async function freshInit(): Promise<typeof import('../../src/dpsgd/backend.js')> {
  vi.resetModules();
  stderr = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  return import('../../src/dpsgd/backend.js');
}

describe('backend self-check against the cpu backend', () => {
  it('a backend with a wrong kernel fails the check; auto selection falls back to wasm and says so in one line', async () => {
    registerBrokenBackend('Exp', slightlyWrongExp);
    const backend = await freshInit();
    const info = await backend.initBackend();
    expect(info.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.reason).toMatch(/tensorflow backend failed its self-check against the cpu backend: its .* differ/);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^dp-canary: warning: the tensorflow backend failed its self-check .*; using wasm instead\n$/);
  });

  it('a backend whose kernel throws fails the check the same way; forcing it is a clear error', async () => {
    registerBrokenBackend('BatchMatMul', throwing);
    const backend = await freshInit();
    const info = await backend.initBackend();
    expect(info.name).toBe('wasm');
    expect(stderr).toMatch(/self-check failed with an error \(kernel not implemented on this device\); using wasm instead/);
    await expect(backend.initBackend('tensorflow')).rejects.toThrow(/Backend 'tensorflow' .* failed its self-check/);
  });

  it('a correct copy of the cpu backend passes, and so does wasm', async () => {
    registerBrokenBackend('none', (k) => k);
    expect(await selfCheckBackend('tensorflow')).toBeUndefined();
    const backend = await freshInit();
    const info = await backend.initBackend();
    expect(info.name).toBe('tensorflow');
    expect(stderr).toBe('');
    expect(await selfCheckBackend('wasm')).toBeUndefined();
  });
});
