import type { BackendName } from '../backend.js';
import type { LogicalStepPrivacy } from '../logical-batch.js';
import type { LanguageModelConfig } from '../model.js';
import type { Pass } from './shard.js';

/**
 * Messages between a DataParallelPool and its worker threads. Weights and gradient sums travel
 * through SharedArrayBuffers (laid out by layout.ts), never as JSON; a message carries only
 * what changes per request (indices, step number) and small results (loss, norms).
 */
export interface InitRequest {
  readonly type: 'init';
  readonly config: LanguageModelConfig;
  readonly backend: BackendName;
  /** The coordinator's current weights (float32, layout order), read at the start of every request. */
  readonly weights: SharedArrayBuffer;
  /** This worker's own output: its gradient sums (float32, layout order). */
  readonly out: SharedArrayBuffer;
  /** The training examples as one int32 buffer of `count` windows of `length` tokens (null: none). */
  readonly examples: { readonly buffer: SharedArrayBuffer; readonly count: number; readonly length: number } | null;
}

export interface StepRequest {
  readonly type: 'step';
  readonly id: number;
  /** This worker's passes over its share of the logical batch. */
  readonly parts: readonly Pass[];
  readonly privacy: LogicalStepPrivacy;
  readonly expectedBatchSize: number;
  readonly step: number;
  /** Seed string of the run's seeded root source (its dropout streams are forked from it); null: secure. */
  readonly seed: string | null;
}

export interface EnumerateRequest {
  readonly type: 'enumerate';
  readonly id: number;
  readonly prefix: readonly number[];
  readonly symbolIds: Int32Array;
  readonly length: number;
  /** First symbols [from, to) whose subtrees this worker enumerates. */
  readonly from: number;
  readonly to: number;
}

export type WorkerRequest = InitRequest | StepRequest | EnumerateRequest;

export type WorkerReply =
  | { readonly type: 'ready'; readonly id: 0 }
  | {
      readonly type: 'step';
      readonly id: number;
      /** False when the worker saw no example (its out buffer was not written). */
      readonly wrote: boolean;
      readonly lossSum: number;
      readonly tokens: number;
      readonly batchSize: number;
      readonly norms: Float32Array;
      /** Time the worker spent on the request, ms (for StepTimings). */
      readonly computeMs: number;
    }
  | { readonly type: 'enumerate'; readonly id: number; readonly values: Float64Array }
  | { readonly type: 'error'; readonly id: number; readonly message: string };
