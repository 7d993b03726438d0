import { availableParallelism } from 'node:os';
import type { BackendName } from '../backend.js';
import { localEngine, type GradientEngine } from '../gradient-engine.js';
import type { LanguageModel, LanguageModelConfig } from '../model.js';
import { DataParallelPool } from './pool.js';

/**
 * Log-perplexities in bits of every secret of a canary space (enumerateLogPerplexities'
 * contract and order) for `model` after `prefix`.
 */
export type ExactEnumerator = (model: LanguageModel, prefix: readonly number[], symbolIds: Int32Array, length: number) => Promise<Float64Array>;

/** Examples per worker below which another worker costs more than it saves (bench: LSTM 128, T = 50). */
export const MIN_EXAMPLES_PER_THREAD = 16;

/**
 * Threads for a run whose logical batches hold `expectedBatchSize` examples on average when
 * the user did not choose: one per MIN_EXAMPLES_PER_THREAD examples, at most `cores`.
 */
export function autoThreads(expectedBatchSize: number, cores: number = availableParallelism()): number {
  return Math.max(1, Math.min(cores, Math.floor(expectedBatchSize / MIN_EXAMPLES_PER_THREAD)));
}

/**
 * The worker threads of one run, shared by its phases (training, per-epoch exposure, final
 * exposure) so that they start once. With one thread it opens nothing and everything runs in
 * the caller's thread. Close it when the run is done.
 */
export class ParallelSession {
  private pool: DataParallelPool | null = null;
  private poolKey = '';
  private chosen: number | null;

  /**
   * @param threads worker threads, >= 1 (1: none, the caller's thread does the work), or
   *   'auto': autoThreads of the first training's expected batch size (the cores when the
   *   session only scores)
   */
  constructor(
    threads: number | 'auto',
    private readonly backend?: BackendName,
  ) {
    if (threads !== 'auto' && !(Number.isInteger(threads) && threads >= 1)) throw new RangeError(`threads must be an integer >= 1, got ${threads}`);
    this.chosen = threads === 'auto' ? null : threads;
  }

  /** Threads in use (null while 'auto' is not yet resolved). */
  get threads(): number | null {
    return this.chosen;
  }

  /**
   * The engine that computes training gradients of `config` models on `examples`, whose
   * logical batches hold `expectedBatchSize` examples on average (resolves 'auto').
   */
  async engineFor(
    config: LanguageModelConfig,
    examples: readonly (Int32Array | readonly number[])[],
    expectedBatchSize: number,
  ): Promise<GradientEngine> {
    this.chosen ??= autoThreads(expectedBatchSize);
    if (this.chosen === 1) return localEngine;
    return this.open(config, examples);
  }

  /** An enumerator for `config` models on the workers, or null with one thread. */
  async enumeratorFor(config: LanguageModelConfig): Promise<ExactEnumerator | null> {
    this.chosen ??= availableParallelism();
    if (this.chosen === 1) return null;
    const pool = this.pool !== null && this.poolKey.startsWith(keyOf(config)) ? this.pool : await this.open(config, undefined);
    return (model, prefix, symbolIds, length) => pool.enumerate(model, prefix, symbolIds, length);
  }

  async close(): Promise<void> {
    const p = this.pool;
    this.pool = null;
    await p?.close();
  }

  private async open(config: LanguageModelConfig, examples: readonly (Int32Array | readonly number[])[] | undefined): Promise<DataParallelPool> {
    const key = keyOf(config) + (examples ? '+examples' : '');
    if (this.pool !== null && this.poolKey === key && (examples === undefined || this.pool.holds(examples))) return this.pool;
    await this.close();
    this.pool = await DataParallelPool.open({
      threads: this.chosen ?? 1,
      config,
      ...(examples ? { examples } : {}),
      ...(this.backend ? { backend: this.backend } : {}),
    });
    this.poolKey = key;
    return this.pool;
  }
}

function keyOf(c: LanguageModelConfig): string {
  return JSON.stringify([c.vocabSize, c.embeddingDim, c.hiddenSize, c.layers, c.cell, c.dropout]);
}
