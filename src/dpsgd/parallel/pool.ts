import { Worker } from 'node:worker_threads';
import type { BackendName } from '../backend.js';
import type { StepGradient } from '../gradient.js';
import { finishLogicalStep, type LogicalStepOptions } from '../logical-batch.js';
import { validateConfig, type LanguageModel, type LanguageModelConfig } from '../model.js';
import type { GradientEngine } from '../gradient-engine.js';
import { paramLayout, tensorsFrom, writeWeights, type ParamLayout } from './layout.js';
import type { InitRequest, WorkerReply, WorkerRequest } from './messages.js';
import { shardBatch, shardUnits, splitRange } from './shard.js';
import { InvalidArgumentError } from '../../util/errors.js';
import { WorkerHandle as Handle, workerBackend, workerEntry, workerExecArgv } from './worker-handle.js';

type WorkerHandle = Handle<WorkerRequest, WorkerReply>;

/** Where one data-parallel step's time went, ms. */
export interface StepTimings {
  /** In this thread: weights out, adding the workers' sums, noise, division (the serial part; the optimizer is the caller's). */
  readonly coordinatorMs: number;
  /** The slowest worker's own time (its part of the batch). */
  readonly slowestWorkerMs: number;
  /** Waiting beyond the slowest worker: messages and thread wake-ups. */
  readonly messagingMs: number;
}

/** Options of {@link DataParallelPool.open}. */
export interface PoolOptions {
  /** Worker threads, >= 1 (the caller's thread only coordinates). */
  readonly threads: number;
  /** The model every worker holds a copy of (its weights are read from shared memory at each request). */
  readonly config: LanguageModelConfig;
  /**
   * The training examples (windows of equal length), shared once with all workers through one
   * SharedArrayBuffer; gradient() must be given this same array. Omit for a scoring-only pool.
   */
  readonly examples?: readonly (Int32Array | readonly number[])[];
  /** Backend of the workers (default: the one this thread uses). */
  readonly backend?: BackendName;
}

/**
 * Data-parallel DP-SGD on worker threads (one model copy per thread, each on its own backend).
 * Each logical batch is cut into one share per worker (shard.ts); workers return their clipped
 * sums through shared memory; this thread adds them, adds the Gaussian noise ONCE from the
 * run's own random source, and returns the step's gradient, exactly as logicalBatchGradient
 * does in one thread: sampling, noise and the ledger are untouched, and results differ from a
 * one-thread run only in floating-point summation order. The same workers can enumerate a
 * canary space in parallel (enumerate()).
 *
 * @example
 * const pool = await DataParallelPool.open({ threads: 2, config: model.config, examples });
 * try { await train({ ...options, examples, engine: pool }); } finally { await pool.close(); }
 */
export class DataParallelPool implements GradientEngine {
  private readonly weights: Float32Array;
  private nextId = 1;
  private closed = false;
  private timings: StepTimings | null = null;
  /** The first failure: after it the pool refuses work (a worker may be dead or mid-request). */
  private broken: Error | null = null;

  private constructor(
    readonly threads: number,
    private readonly layout: ParamLayout,
    weightsBuffer: SharedArrayBuffer,
    private readonly workers: WorkerHandle[],
    private readonly examples: readonly (Int32Array | readonly number[])[] | null,
  ) {
    this.weights = new Float32Array(weightsBuffer);
  }

  /** Starts `threads` workers and waits until each has its backend and model ready. */
  static async open(o: PoolOptions): Promise<DataParallelPool> {
    if (!(Number.isInteger(o.threads) && o.threads >= 1)) throw new InvalidArgumentError(`threads must be an integer >= 1, got ${o.threads}`);
    // Workers compute on the backend this thread uses (the numbers then agree with a one-thread run).
    const backend = await workerBackend(o.backend);
    const layout = paramLayout(validateConfig(o.config));
    const weightsBuffer = new SharedArrayBuffer(layout.size * 4);
    const examples = o.examples ? shareExamples(o.examples) : null;
    const entry = workerEntry('./worker-main.js', import.meta.url, '../../../dist/src/dpsgd/parallel/worker-main.js');
    const handles: WorkerHandle[] = [];
    try {
      for (let i = 0; i < o.threads; i++) {
        const out = new SharedArrayBuffer(layout.size * 4);
        handles.push(new Handle<WorkerRequest, WorkerReply>(i, new Worker(entry, { execArgv: workerExecArgv() }), out));
      }
      await Promise.all(
        handles.map((h) => {
          const init: InitRequest = { type: 'init', config: o.config, backend, weights: weightsBuffer, out: h.outBuffer, examples };
          return h.request(init);
        }),
      );
    } catch (err) {
      await Promise.all(handles.map((h) => h.worker.terminate()));
      throw err;
    }
    return new DataParallelPool(o.threads, layout, weightsBuffer, handles, o.examples ?? null);
  }

  /**
   * The gradient of one logical batch (the contract of logicalBatchGradient), computed by the
   * workers from `model`'s current weights. Rejects with WorkerFailedError if a worker fails;
   * the model and the caller's random source are then untouched.
   */
  async gradient(
    model: LanguageModel,
    examples: readonly (Int32Array | readonly number[])[],
    indices: Int32Array,
    o: LogicalStepOptions,
  ): Promise<StepGradient> {
    if (this.examples === null || examples !== this.examples)
      throw new InvalidArgumentError('DataParallelPool.gradient: the examples differ from those the pool was opened with');
    this.check();
    const t0 = performance.now();
    writeWeights(model, this.layout, this.weights);
    const parts = o.unitSizes ? shardUnits(indices, o.unitSizes, o.physicalBatchSize, this.threads) : shardBatch(indices, o.physicalBatchSize, this.threads);
    const seed = o.random.kind === 'seeded' ? o.random.state()!.seed : null;
    const t1 = performance.now();
    const replies = await this.all<Extract<WorkerReply, { type: 'step' }>>(
      parts.map((p) => ({ type: 'step', id: this.nextId++, parts: p, privacy: o.privacy, expectedBatchSize: o.expectedBatchSize, step: o.step, seed })),
    );
    const t2 = performance.now();
    // Norms go back to example (or unit) order: a pass's norms start at its position in the batch.
    const norms = new Float32Array(o.privacy.kind === 'dp' ? (o.unitSizes?.length ?? indices.length) : 0);
    let acc: Float32Array | null = null;
    let lossSum = 0;
    let tokens = 0;
    let batchSize = 0;
    replies.forEach((r, w) => {
      if (r === null) return;
      lossSum += r.lossSum;
      tokens += r.tokens;
      batchSize += r.batchSize;
      if (norms.length > 0) {
        let k = 0;
        for (const p of parts[w]!) {
          const n = p.units ? p.units.count : p.indices.length;
          norms.set(r.norms.subarray(k, k + n), p.start);
          k += n;
        }
      }
      if (!r.wrote) return;
      const out = this.workers[w]!.out;
      if (acc === null) acc = Float32Array.from(out);
      else for (let k = 0; k < acc.length; k++) acc[k] = Math.fround(acc[k]! + out[k]!);
    });
    const sums = acc === null ? null : tensorsFrom(acc, this.layout);
    const g = finishLogicalStep(model, { sums, lossSum, tokens, batchSize, norms }, o);
    const slowest = Math.max(0, ...replies.map((r) => r?.computeMs ?? 0));
    this.timings = { coordinatorMs: t1 - t0 + (performance.now() - t2), slowestWorkerMs: slowest, messagingMs: Math.max(0, t2 - t1 - slowest) };
    return g;
  }

  /** Where the last gradient()'s time went (for benchmarks); null before the first. */
  get lastStepTimings(): StepTimings | null {
    return this.timings;
  }

  /**
   * Log-perplexities in bits of every secret (enumerateLogPerplexities' contract and order),
   * with the first symbol's subtrees split among the workers.
   */
  async enumerate(model: LanguageModel, prefix: readonly number[], symbolIds: Int32Array, length: number): Promise<Float64Array> {
    this.check();
    writeWeights(model, this.layout, this.weights);
    const A = symbolIds.length;
    const ranges = splitRange(A, this.threads);
    const blocks = await this.all<Extract<WorkerReply, { type: 'enumerate' }>>(
      ranges.map((r) => ({ type: 'enumerate', id: this.nextId++, prefix: [...prefix], symbolIds, length, from: r.from, to: r.to })),
    );
    const out = new Float64Array(A ** length);
    const per = A ** (length - 1);
    blocks.forEach((b, i) => {
      if (b) out.set(b.values, ranges[i]!.from * per);
    });
    return out;
  }

  /** Whether the pool was opened with training examples. */
  get holdsExamples(): boolean {
    return this.examples !== null;
  }

  /** Whether gradient() accepts `examples` (the very array the pool was opened with). */
  holds(examples: readonly (Int32Array | readonly number[])[]): boolean {
    return this.examples === examples;
  }

  /** Stops a worker as a crash would (for tests of failure handling). */
  async terminateWorker(index: number): Promise<void> {
    await this.workers[index]?.worker.terminate();
  }

  /** Stops all workers. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.workers.map((h) => h.worker.terminate()));
  }

  private check(): void {
    if (this.closed) throw new InvalidArgumentError('DataParallelPool used after close()');
    if (this.broken) throw this.broken;
  }

  /** Sends one request per worker and waits for all; any failure breaks the pool. */
  private async all<R extends WorkerReply>(requests: readonly (WorkerRequest | null)[]): Promise<(R | null)[]> {
    try {
      return await Promise.all(requests.map((m, w) => (m === null ? null : this.workers[w]!.request<R>(m))));
    } catch (err) {
      this.broken = err instanceof Error ? err : new Error(String(err));
      throw err;
    }
  }
}

/** Examples as one shared int32 buffer (all windows must have one length). */
function shareExamples(examples: readonly (Int32Array | readonly number[])[]): NonNullable<InitRequest['examples']> {
  const count = examples.length;
  const length = count > 0 ? examples[0]!.length : 0;
  const buffer = new SharedArrayBuffer(count * length * 4);
  const view = new Int32Array(buffer);
  examples.forEach((e, i) => {
    if (e.length !== length) throw new InvalidArgumentError(`all examples must have the same length; found ${e.length} and ${length}`);
    view.set(e, i * length);
  });
  return { buffer, count, length };
}
