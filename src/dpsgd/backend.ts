/**
 * Chooses and initialises the TensorFlow.js backend, once per process.
 *
 * Order when nothing is forced: 'tensorflow' (native, from the optional dependency
 * @tensorflow/tfjs-node) > 'wasm' (@tensorflow/tfjs-backend-wasm, single-threaded in Node, with
 * our kernel fixes from ./kernels) > 'cpu' (pure JavaScript, ~15-20x slower than wasm on a
 * char-LSTM step). All project code imports tf from '@tensorflow/tfjs-core'; the chosen backend
 * registers itself in that same core.
 *
 * wasm in Node (checked with tfjs 4.22, both from dist/ and under vitest): no setWasmPaths is
 * needed, because Node loads the package's CommonJS build (tf-backend-wasm.node.js), which finds
 * its .wasm files next to itself; it picks the SIMD binary, and runs one thread. Why one: the
 * package's WASM_HAS_MULTITHREAD_SUPPORT flag returns false whenever IS_NODE (tfjs issue 3830).
 * Setting the flag to true by hand (checked with tfjs 4.22, Node 20) makes the backend load the
 * threaded SIMD binary, whose Emscripten pthread pool then starts its workers from blob: URLs,
 * which Node's worker_threads refuse (ERR_WORKER_PATH): initialisation fails. So dp-canary uses
 * every core another way: data-parallel worker threads, each with its own single-threaded wasm
 * backend (./parallel/), which split whole steps rather than the small ops inside one.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { DpCanaryError, InvalidArgumentError } from '../util/errors.js';
import { registerWasmKernelFixes } from './kernels/index.js';
import { activateBackend, selfCheckBackend } from './backend-check.js';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export const BACKEND_NAMES: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

/** Environment variable that forces a backend when no explicit choice is given. */
export const BACKEND_ENV_VAR = 'DP_CANARY_BACKEND';

export interface BackendInfo {
  name: BackendName;
  /** One sentence for the run's output: why this backend (and why not a faster one). */
  reason: string;
  /** Kernels replaced or added for this backend (see src/dpsgd/kernels); empty if none. */
  kernelFixes: string[];
}

let current: BackendInfo | undefined;
let pending: Promise<BackendInfo> | undefined;

/**
 * Parses a backend name given by the user (`--backend`, or the environment variable).
 * `source` names where it came from, for the error message. Empty or 'auto' means no choice.
 */
export function parseBackendName(value: string, source: string): BackendName | undefined {
  const v = value.trim().toLowerCase();
  if (v === '' || v === 'auto') return undefined;
  if ((BACKEND_NAMES as readonly string[]).includes(v)) return v as BackendName;
  throw new InvalidArgumentError(`${source} must be one of ${BACKEND_NAMES.join(', ')} or auto, not '${value}'.`);
}

/**
 * The backend chosen by initBackend, or undefined before it has run.
 *
 * ```ts
 * import { currentBackend, initBackend } from 'dp-canary/dpsgd';
 * await initBackend();
 * currentBackend()?.name; // 'tensorflow', 'wasm' or 'cpu'
 * ```
 */
export function currentBackend(): BackendInfo | undefined {
  return current;
}

/**
 * Picks and initialises the fastest available backend and makes it tfjs's active backend.
 * `preferred` (the CLI's --backend) forces one; else the DP_CANARY_BACKEND environment variable
 * does; else the first that works of tensorflow > wasm > cpu. A forced backend that cannot run
 * here is an InvalidArgumentError. Idempotent: later calls return the same info (a later call forcing a
 * different backend switches to it). Also registers tfjs's gradient functions, which the Node
 * build of tfjs-core leaves out.
 *
 * ```ts
 * import { initBackend } from 'dp-canary/dpsgd';
 * const info = await initBackend(); // or initBackend('cpu') to force one
 * console.log(info.name, info.reason);
 * ```
 */
export async function initBackend(preferred?: BackendName): Promise<BackendInfo> {
  const forcedByEnv = preferred === undefined;
  const choice = preferred ?? parseBackendName(process.env[BACKEND_ENV_VAR] ?? '', BACKEND_ENV_VAR);
  if (current !== undefined && (choice === undefined || choice === current.name)) {
    if (tf.getBackend() !== current.name) await tf.setBackend(current.name);
    return current;
  }
  if (pending !== undefined) {
    const info = await pending;
    if (choice === undefined || choice === info.name) return info;
  }
  const source = forcedByEnv ? `${BACKEND_ENV_VAR}=${choice ?? ''}` : `the requested backend '${choice ?? ''}'`;
  pending = select(choice, source);
  try {
    current = await pending;
    return current;
  } finally {
    pending = undefined;
  }
}

async function select(choice: BackendName | undefined, source: string): Promise<BackendInfo> {
  await ensureGradientsRegistered();
  if (choice !== undefined) {
    const failure = (await tryBackend(choice)) ?? (await checked(choice));
    if (failure !== undefined) {
      throw new InvalidArgumentError(`Backend '${choice}' (from ${source}) is not available here: ${failure}.`);
    }
    return { name: choice, reason: `forced by ${source}${threadNote(choice)}`, kernelFixes: fixesFor(choice) };
  }
  const skipped: string[] = [];
  let selfCheckFailure: string | undefined;
  for (const name of BACKEND_NAMES) {
    let failure = await tryBackend(name);
    if (failure === undefined) {
      const check = await checked(name);
      if (check === undefined) {
        const why = skipped.length > 0 ? `${skipped.join('; ')}; ` : '';
        // A backend that computes wrong numbers is worse than a slow one: say so, once.
        if (selfCheckFailure !== undefined) warn(`${selfCheckFailure}; using ${name} instead`);
        return { name, reason: `${why}using ${name}${threadNote(name)}`, kernelFixes: fixesFor(name) };
      }
      failure = check;
      selfCheckFailure ??= check;
    }
    skipped.push(failure);
  }
  throw new DpCanaryError(`No TensorFlow.js backend could be initialised: ${skipped.join('; ')}.`);
}

/**
 * Runs the self-check (backend-check.ts) on a backend other than the cpu reference, after its
 * kernel fixes are registered; returns why it failed, or undefined.
 */
async function checked(name: BackendName): Promise<string | undefined> {
  if (name === 'cpu') return undefined;
  fixesFor(name);
  const failure = await selfCheckBackend(name);
  return failure === undefined ? undefined : `the ${name} backend failed its self-check against the cpu backend: ${failure}`;
}

/** Where backend warnings go: one line on stderr (a process-wide choice, made once). */
function warn(message: string): void {
  process.stderr.write(`dp-canary: warning: ${message}\n`);
}

function threadNote(name: BackendName): string {
  if (name === 'wasm') return ' (single-threaded in Node)';
  if (name === 'cpu') return ' (pure JavaScript, slow)';
  return '';
}

/** Kernel fixes for the backend (registered now, so call only after it initialised). */
function fixesFor(name: BackendName): string[] {
  return name === 'wasm' ? registerWasmKernelFixes() : [];
}

/** Initialises one backend and makes it active; returns why it failed, or undefined. */
async function tryBackend(name: BackendName): Promise<string | undefined> {
  if (name === 'tensorflow') {
    const failure = await loadTfjsNode();
    if (failure !== undefined) return failure;
  } else if (name === 'wasm') {
    try {
      await import('@tensorflow/tfjs-backend-wasm');
    } catch (err) {
      return `@tensorflow/tfjs-backend-wasm failed to load (${firstLine(err)})`;
    }
  }
  if (tf.findBackendFactory(name) === null) return `no '${name}' backend is registered`;
  let ok: boolean;
  try {
    ok = await activateBackend(name);
  } catch (err) {
    return `the ${name} backend failed to initialise (${firstLine(err)})`;
  }
  if (!ok) return `the ${name} backend failed to initialise`;
  return undefined;
}

/**
 * Imports the optional native backend. Its name is held in a variable so TypeScript does not
 * need it installed; it registers the 'tensorflow' backend in the same (deduplicated) tfjs-core.
 */
async function loadTfjsNode(): Promise<string | undefined> {
  const moduleName = '@tensorflow/tfjs-node';
  if (tf.findBackendFactory('tensorflow') !== null) return undefined; // already loaded by the host program
  try {
    await import(moduleName);
    return undefined;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const message = firstLine(err);
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || /Cannot find (module|package)|Failed to load url/i.test(message)) {
      return `${moduleName} not installed`;
    }
    return `${moduleName} failed to load (${message})`;
  }
}

/**
 * tfjs-core's Node build registers no gradient functions (tf.grad would fail for every op);
 * the Node build of @tensorflow/tfjs-layers registers all of core's gradients into the shared
 * global registry when loaded, so load it once.
 */
async function ensureGradientsRegistered(): Promise<void> {
  if (tf.getGradient('Sum') === undefined) await import('@tensorflow/tfjs-layers');
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0] ?? '';
}
