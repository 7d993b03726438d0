/**
 * Backend selection: auto order, forcing by argument and by environment variable, clear user
 * errors, idempotence. The tests run in order in one process (vitest forks per file) and put
 * the environment and tfjs's active backend back as they found them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import {
  BACKEND_ENV_VAR,
  currentBackend,
  initBackend,
  parseBackendName,
} from '../../src/dpsgd/backend.js';
import { InvalidArgumentError } from '../../src/util/errors.js';

/** Whether @tensorflow/tfjs-node is resolvable here (independently of the code under test). */
function tfjsNodeInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}

const savedEnv = process.env[BACKEND_ENV_VAR];
let previousBackend: string | null = null;

beforeAll(() => {
  const active: unknown = tf.engine().backendName;
  previousBackend = typeof active === 'string' ? active : null;
  delete process.env[BACKEND_ENV_VAR];
});

afterAll(async () => {
  if (savedEnv === undefined) delete process.env[BACKEND_ENV_VAR];
  else process.env[BACKEND_ENV_VAR] = savedEnv;
  if (previousBackend !== null) await tf.setBackend(previousBackend);
});

describe('initBackend', () => {
  it('auto: picks the fastest available backend and says why', async () => {
    expect(currentBackend()).toBeUndefined();
    const info = await initBackend();
    expect(tf.getBackend()).toBe(info.name);
    expect(currentBackend()).toBe(info);
    if (tfjsNodeInstalled()) {
      expect(info.name).toBe('tensorflow');
    } else {
      expect(existsSync('node_modules/@tensorflow/tfjs-node')).toBe(false);
      expect(info.name).toBe('wasm');
      expect(info.reason).toMatch(/@tensorflow\/tfjs-node not installed/);
      expect(info.reason).toMatch(/single-threaded/);
      expect(info.kernelFixes.sort()).toEqual(['BatchMatMul', 'GatherV2', 'Unpack', 'UnsortedSegmentSum']);
    }
  });

  it('is idempotent, also for concurrent calls', async () => {
    const first = currentBackend();
    const [a, b] = await Promise.all([initBackend(), initBackend()]);
    expect(a).toBe(first);
    expect(b).toBe(first);
    // Someone switched tfjs behind our back: the next call makes the chosen backend active again.
    await tf.setBackend('cpu');
    expect(await initBackend()).toBe(first);
    expect(tf.getBackend()).toBe(first?.name);
  });

  it('computes on the chosen backend (gradients are registered)', async () => {
    await initBackend();
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.square(x)))(tf.tensor1d([1, -2, 3]));
    expect(Array.from(g.dataSync())).toEqual([2, -4, 6]);
  });

  it('forcing tensorflow where tfjs-node is missing is an InvalidArgumentError naming the package', async () => {
    if (tfjsNodeInstalled()) return;
    const before = currentBackend();
    await expect(initBackend('tensorflow')).rejects.toThrow(InvalidArgumentError);
    await expect(initBackend('tensorflow')).rejects.toThrow(/'tensorflow'.*@tensorflow\/tfjs-node not installed/);
    // A failed request leaves the previous choice in force.
    expect(currentBackend()).toBe(before);
    expect(await initBackend()).toBe(before);
  });

  it(`respects ${BACKEND_ENV_VAR}, and an explicit argument overrides it`, async () => {
    process.env[BACKEND_ENV_VAR] = 'cpu';
    try {
      const info = await initBackend();
      expect(info.name).toBe('cpu');
      expect(info.reason).toContain(`${BACKEND_ENV_VAR}=cpu`);
      expect(info.kernelFixes).toEqual([]);
      expect(tf.getBackend()).toBe('cpu');
      const forced = await initBackend('wasm');
      expect(forced.name).toBe('wasm');
      expect(forced.reason).toContain("requested backend 'wasm'");
      expect(tf.getBackend()).toBe('wasm');
    } finally {
      delete process.env[BACKEND_ENV_VAR];
    }
  });

  it(`rejects a misspelt ${BACKEND_ENV_VAR} with an InvalidArgumentError`, async () => {
    process.env[BACKEND_ENV_VAR] = 'gpu';
    try {
      await expect(initBackend()).rejects.toThrow(InvalidArgumentError);
      await expect(initBackend()).rejects.toThrow(/DP_CANARY_BACKEND must be one of tensorflow, wasm, cpu or auto, not 'gpu'/);
    } finally {
      delete process.env[BACKEND_ENV_VAR];
    }
  });
});

describe('parseBackendName', () => {
  it('accepts the three names in any case, and empty or auto as no choice', () => {
    expect(parseBackendName('WASM', '--backend')).toBe('wasm');
    expect(parseBackendName(' cpu ', '--backend')).toBe('cpu');
    expect(parseBackendName('tensorflow', '--backend')).toBe('tensorflow');
    expect(parseBackendName('', '--backend')).toBeUndefined();
    expect(parseBackendName('auto', '--backend')).toBeUndefined();
    expect(() => parseBackendName('webgl', '--backend')).toThrow(/--backend must be one of/);
  });
});
