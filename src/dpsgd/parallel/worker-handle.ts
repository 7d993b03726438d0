/**
 * What every pool of worker threads shares: one worker and its request in flight, where the
 * compiled worker entry lives, and which backend the workers compute on. Used by
 * DataParallelPool (dp-canary's language models) and UserModelPool (a user's tf.LayersModel).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { BACKEND_NAMES, currentBackend, initBackend, type BackendName } from '../backend.js';
import { DpCanaryError, InternalError, WorkerFailedError } from '../../util/errors.js';

/**
 * The compiled worker entry `file` (e.g. './worker-main.js', relative to `from`, a module's
 * import.meta.url), or dist/'s copy `built` when the module runs from src/ (tests).
 */
export function workerEntry(file: string, from: string, built: string): URL {
  const here = new URL(file, from);
  if (existsSync(fileURLToPath(here))) return here;
  const compiled = new URL(built, from);
  if (existsSync(fileURLToPath(compiled))) return compiled;
  throw new DpCanaryError(`the worker entry ${fileURLToPath(here)} is missing; run npm run build`);
}

/**
 * The Node options a worker starts with: this process's, less --input-type (a script given on
 * stdin or with --eval as an ES module), which a worker loading a file refuses.
 */
export function workerExecArgv(): string[] {
  return process.execArgv.filter((a) => !a.startsWith('--input-type'));
}

function isBackendName(name: string | undefined): name is BackendName {
  return (BACKEND_NAMES as readonly (string | undefined)[]).includes(name);
}

/** The backend workers compute on: `wanted`, else the one this thread uses (the numbers then agree with a one-thread run). */
export async function workerBackend(wanted?: BackendName): Promise<BackendName> {
  if (wanted) return wanted;
  const active = tf.getBackend();
  return isBackendName(active) ? active : (currentBackend()?.name ?? (await initBackend()).name);
}

/** A worker's reply when a request failed. */
export interface ErrorReply {
  readonly type: 'error';
  readonly id: number;
  readonly message: string;
}

interface Pending<Rep> {
  resolve(r: Rep): void;
  reject(e: Error): void;
}

/** One worker thread and its request in flight (at most one at a time). */
export class WorkerHandle<Req, Rep extends { readonly type: string }> {
  private pending: Pending<Rep> | null = null;
  private failure: WorkerFailedError | null = null;
  readonly out: Float32Array;
  constructor(
    readonly index: number,
    readonly worker: Worker,
    readonly outBuffer: SharedArrayBuffer,
  ) {
    this.out = new Float32Array(outBuffer);
    worker.on('message', (r: Rep | ErrorReply) => {
      const p = this.pending;
      this.pending = null;
      if (!p) return;
      if (r.type === 'error') p.reject(new WorkerFailedError(`worker ${index} failed: ${(r as ErrorReply).message}`));
      else p.resolve(r as Rep);
    });
    worker.on('error', (err) => this.fail(`worker ${index} crashed: ${err.message}`));
    worker.on('exit', (code) => this.fail(`worker ${index} exited (code ${code})`));
  }
  private fail(message: string): void {
    this.failure ??= new WorkerFailedError(message);
    const p = this.pending;
    this.pending = null;
    p?.reject(this.failure);
  }
  request<R extends Rep>(m: Req): Promise<R> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending) return Promise.reject(new InternalError(`worker ${this.index} is busy`));
    return new Promise<R>((resolve, reject) => {
      this.pending = { resolve: resolve as (r: Rep) => void, reject };
      this.worker.postMessage(m);
    });
  }
}
