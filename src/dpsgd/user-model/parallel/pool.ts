import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { BackendName } from '../../backend.js';
import { WorkerHandle, workerBackend, workerEntry, workerExecArgv } from '../../parallel/worker-handle.js';
import { InvalidArgumentError, WorkerFailedError } from '../../../util/errors.js';
import { concatTyped } from '../../../util/typed-arrays.js';
import type { ChunkSpec, FitPass, PassSums } from '../chunk-sums.js';
import { trainableVariables } from '../gradient.js';
import type { LossName } from '../losses.js';
import type { SharedTensor, UserInitRequest, UserWorkerReply, UserWorkerRequest } from './messages.js';

type Handle = WorkerHandle<UserWorkerRequest, UserWorkerReply>;

/** Options of {@link UserModelPool.open}. */
export interface UserModelPoolOptions {
  /** Worker threads, integer >= 2 (the caller's thread only coordinates). */
  readonly threads: number;
  readonly model: LayersModel;
  /** The training data (rows = examples), shared once with every worker. */
  readonly xs: readonly tf.Tensor[];
  readonly y: tf.Tensor;
  /** A named loss: a loss function cannot be sent to a worker. */
  readonly loss: LossName;
  readonly fromLogits: boolean;
  readonly spec: Omit<ChunkSpec, 'loss'>;
  /** Backend of the workers (default: the one this thread uses). */
  readonly backend?: BackendName;
}

const shapeOf = (w: { shape: readonly (number | null)[] }): number[] => w.shape.map((d) => d ?? 1);
const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

function share(t: tf.Tensor, name: string): SharedTensor {
  if (t.dtype !== 'float32' && t.dtype !== 'int32') throw new InvalidArgumentError(`threads > 1 needs float32 or int32 training data; ${name} is ${t.dtype} (threads: 1 takes any).`);
  const buffer = new SharedArrayBuffer(t.size * 4);
  (t.dtype === 'int32' ? new Int32Array(buffer) : new Float32Array(buffer)).set(t.dataSync() as Float32Array | Int32Array);
  return { buffer, dtype: t.dtype, shape: [...t.shape] };
}

/**
 * The model's topology, or an InvalidArgumentError saying why it cannot go to a worker thread
 * (a layer tfjs cannot serialise; a custom layer the worker does not know is refused when the
 * worker rebuilds it, in open()).
 */
function topologyOf(model: LayersModel): object {
  try {
    return model.toJSON(null, false) as object;
  } catch (err) {
    throw new InvalidArgumentError(`threads > 1 sends the model to worker threads, but it cannot be serialised (${err instanceof Error ? err.message : String(err)}); threads: 1 trains it in this thread.`);
  }
}

/**
 * Data-parallel per-example clipping for a user's tf.LayersModel: each worker thread rebuilds
 * the model from its topology, holds the training data (shared once), reads the caller's weights
 * from shared memory at each step and returns the clipped sums, norms and loss sum of its share
 * of the logical batch. The caller adds the shares; sampling, noise, the optimizer and the
 * ledger stay in the caller's thread (fitPrivately), so results differ from threads: 1 only in
 * floating-point summation order.
 */
export class UserModelPool {
  private readonly weights: Float32Array;
  private nextId = 1;
  private closed = false;
  private broken: Error | null = null;

  private constructor(
    readonly threads: number,
    private readonly model: LayersModel,
    weightsBuffer: SharedArrayBuffer,
    private readonly workers: Handle[],
  ) {
    this.weights = new Float32Array(weightsBuffer);
  }

  /** Starts the workers and waits until each has rebuilt the model. */
  static async open(o: UserModelPoolOptions): Promise<UserModelPool> {
    if (!(Number.isInteger(o.threads) && o.threads >= 2)) throw new InvalidArgumentError(`a UserModelPool needs an integer >= 2 threads, got ${o.threads}`);
    const topology = topologyOf(o.model);
    const weightShapes = o.model.weights.map(shapeOf);
    const trainableShapes = o.model.trainableWeights.map(shapeOf);
    const weights = new SharedArrayBuffer(4 * weightShapes.reduce((n, s) => n + sizeOf(s), 0));
    const outFloats = trainableShapes.reduce((n, s) => n + sizeOf(s), 0);
    const xs = o.xs.map((x, i) => share(x, o.xs.length === 1 ? 'x' : `x[${i}]`));
    const y = share(o.y, 'y');
    const backend = await workerBackend(o.backend);
    const entry = workerEntry('./worker-main.js', import.meta.url, '../../../../dist/src/dpsgd/user-model/parallel/worker-main.js');
    const handles: Handle[] = [];
    try {
      for (let i = 0; i < o.threads; i++) handles.push(new WorkerHandle(i, new Worker(entry, { execArgv: workerExecArgv() }), new SharedArrayBuffer(outFloats * 4)));
      await Promise.all(
        handles.map((h) => {
          const init: UserInitRequest = { type: 'init', topology, backend, loss: o.loss, fromLogits: o.fromLogits, spec: o.spec, weightShapes, trainableShapes, weights, out: h.outBuffer, xs, y };
          return h.request(init);
        }),
      );
    } catch (err) {
      await Promise.all(handles.map((h) => h.worker.terminate()));
      if (err instanceof WorkerFailedError) {
        throw new InvalidArgumentError(`threads > 1 rebuilds the model in worker threads, which failed (${err.message}); a custom layer must register itself with tf.serialization.registerClass in a module the worker imports, or use threads: 1.`);
      }
      throw err;
    }
    return new UserModelPool(o.threads, o.model, weights, handles);
  }

  /**
   * The accumulated sums of `shares` (one list of passes per worker, contiguous parts of the
   * batch in order), computed from the model's current weights: the result of passSums over
   * all the passes, up to summation order. Rejects with WorkerFailedError if a worker fails.
   */
  async sums(shares: readonly (readonly FitPass[])[]): Promise<PassSums> {
    if (this.closed) throw new InvalidArgumentError('UserModelPool used after close()');
    if (this.broken) throw this.broken;
    if (shares.length > this.threads) throw new InvalidArgumentError(`${shares.length} shares for ${this.threads} workers`);
    let off = 0;
    for (const w of this.model.weights) {
      const data = w.read().dataSync() as Float32Array;
      this.weights.set(data, off);
      off += data.length;
    }
    type StepReply = Extract<UserWorkerReply, { type: 'step' }>;
    let replies: (StepReply | null)[];
    try {
      replies = await Promise.all(shares.map((passes, w) => (passes.length === 0 ? null : this.workers[w]!.request<StepReply>({ type: 'step', id: this.nextId++, passes }))));
    } catch (err) {
      this.broken = err instanceof Error ? err : new WorkerFailedError(String(err));
      throw err;
    }
    let acc: Float32Array | null = null;
    let lossSum = 0;
    const norms: Float32Array[] = [];
    replies.forEach((r, w) => {
      if (r === null) return;
      lossSum += r.lossSum;
      norms.push(r.norms);
      if (!r.wrote) return;
      const out = this.workers[w]!.out;
      if (acc === null) acc = Float32Array.from(out);
      else for (let k = 0; k < acc.length; k++) acc[k] = Math.fround(acc[k]! + out[k]!);
    });
    return { acc: acc === null ? null : this.tensorsFrom(acc), lossSum, norms: concatTyped(norms, (n) => new Float32Array(n)) };
  }

  /** Stops all workers. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.workers.map((h) => h.worker.terminate()));
  }

  /** The flat sums as tensors keyed by this thread's variable names (trainable weights in model order). */
  private tensorsFrom(flat: Float32Array): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    let off = 0;
    for (const [name, v] of trainableVariables(this.model)) {
      out.set(name, tf.tensor(flat.slice(off, off + v.size), v.shape, 'float32'));
      off += v.size;
    }
    return out;
  }
}
