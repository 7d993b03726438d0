import { availableParallelism } from 'node:os';
import type { BackendName } from '../backend.js';
import { localEngine, type GradientEngine } from '../gradient-engine.js';
import type { LanguageModel, LanguageModelConfig } from '../model.js';
import { enumerateLogPerplexities } from '../../canary/exact.js';
import type { SecretModel } from '../../canary/secret-model.js';
import { DataParallelPool } from './pool.js';
import { InvalidArgumentError } from '../../util/errors.js';

/**
 * Log-perplexities in bits of every secret of a canary space (enumerateLogPerplexities'
 * contract and order) for `model` after `prefix`; `secrets` is the caller's secret model,
 * already positioned after that prefix (used as it is when the work stays in this thread).
 */
export type ExactEnumerator = (model: LanguageModel, prefix: readonly number[], secrets: SecretModel) => Promise<Float64Array>;

/** Examples per worker below which another worker costs more than it saves (bench: LSTM 128, T = 50). */
export const MIN_EXAMPLES_PER_THREAD = 16;

/**
 * Threads for a run whose logical batches hold `expectedBatchSize` examples on average when
 * the user did not choose: one per MIN_EXAMPLES_PER_THREAD examples, at most `cores`.
 */
export function autoThreads(expectedBatchSize: number, cores: number = availableParallelism()): number {
  return Math.max(1, Math.min(cores, Math.floor(expectedBatchSize / MIN_EXAMPLES_PER_THREAD)));
}

type Examples = readonly (Int32Array | readonly number[])[];

/**
 * The worker threads of one run, shared by its phases (training, per-epoch exposure, final
 * exposure) so that they start once. With one thread it opens nothing and everything runs in
 * the caller's thread. The thread count may change during a run (setThreads, for example when
 * a study frees cores): the next step then runs on a pool of the new size, with the same
 * results up to floating-point summation order. Close the session when the run is done.
 *
 * @example
 * const parallel = new ParallelSession('auto');
 * try { await trainRun(config, dir, { parallel }); await measureRun(dir, { parallel }); }
 * finally { await parallel.close(); }
 */
export class ParallelSession {
  private pool: DataParallelPool | null = null;
  private poolKey = '';
  private readonly fixed: number | null;
  private limit: number;
  private expectedBatchSize = Infinity;
  private most = 1;
  private readonly backend: BackendName | undefined;

  /**
   * @param threads worker threads, >= 1 (1: none, the caller's thread does the work), or
   *   'auto': autoThreads of the training's expected batch size, at most `limit` (all the
   *   limit when the session only scores)
   * @param o.limit the most threads 'auto' may use (default: the cores available); a study
   *   sets each point's share of the cores here, and changes it with setLimit
   */
  constructor(threads: number | 'auto', o: { readonly backend?: BackendName; readonly limit?: number } = {}) {
    this.fixed = threads === 'auto' ? null : checkThreads(threads);
    this.limit = checkThreads(o.limit ?? availableParallelism());
    this.backend = o.backend;
  }

  /** Threads the next request will use. */
  get threads(): number {
    return this.fixed ?? autoThreads(this.expectedBatchSize, this.limit);
  }

  /** The most threads any request of this session has used (1 when all ran in the caller's thread). */
  get mostThreads(): number {
    return this.most;
  }

  /** Change the most threads 'auto' may use, from the next request on (a fixed count is kept). */
  setLimit(limit: number): void {
    this.limit = checkThreads(limit);
  }

  /**
   * The engine that computes training gradients of `config` models on `examples`, whose
   * logical batches hold `expectedBatchSize` examples on average (for 'auto').
   */
  engineFor(config: LanguageModelConfig, examples: Examples, expectedBatchSize: number): GradientEngine {
    this.expectedBatchSize = expectedBatchSize;
    const threads = (): number => this.threads;
    const gradient: GradientEngine['gradient'] = async (model, ex, indices, o) => {
      // One turn of the event loop per step, so that a new limit (a message from a study's
      // runner) arrives during training even when the steps themselves never wait on I/O.
      await new Promise<void>((resolve) => setImmediate(resolve));
      const pool = await this.poolFor(config, examples);
      return pool ? pool.gradient(model, ex, indices, o) : localEngine.gradient(model, ex, indices, o);
    };
    return {
      get threads() {
        return threads();
      },
      gradient,
    };
  }

  /** An enumerator of `config` models' canary spaces on the workers (in the caller's thread with one thread). */
  enumeratorFor(config: LanguageModelConfig): ExactEnumerator {
    return async (model, prefix, secrets) => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      // A pool opened for training serves scoring too.
      const pool = await this.poolFor(config, this.pool?.holdsExamples ? 'any' : undefined);
      if (pool) return pool.enumerate(model, prefix, secrets.symbolIds, secrets.length);
      return enumerateLogPerplexities(secrets, { maxSpace: Infinity });
    };
  }

  async close(): Promise<void> {
    const p = this.pool;
    this.pool = null;
    this.poolKey = '';
    await p?.close();
  }

  /** The pool for the wanted thread count (opened or resized as needed); null for one thread. */
  private async poolFor(config: LanguageModelConfig, examples: Examples | 'any' | undefined): Promise<DataParallelPool | null> {
    const threads = this.threads;
    if (threads === 1) {
      await this.close();
      return null;
    }
    const key = keyOf(config, threads);
    const fits = this.pool !== null && this.poolKey === key && (examples === undefined || examples === 'any' || this.pool.holds(examples));
    if (!fits) {
      await this.close();
      const ex = examples === 'any' ? undefined : examples;
      this.pool = await DataParallelPool.open({ threads, config, ...(ex ? { examples: ex } : {}), ...(this.backend ? { backend: this.backend } : {}) });
      this.poolKey = key;
    }
    this.most = Math.max(this.most, threads);
    return this.pool;
  }
}

function checkThreads(threads: number): number {
  if (!(Number.isInteger(threads) && threads >= 1)) throw new InvalidArgumentError(`threads must be an integer >= 1, got ${threads}`);
  return threads;
}

function keyOf(c: LanguageModelConfig, threads: number): string {
  return JSON.stringify([c.vocabSize, c.embeddingDim, c.hiddenSize, c.layers, c.cell, c.dropout, c.heads, c.ffnSize, c.maxLength, threads]);
}
