import type { BackendName } from '../../backend.js';
import type { ErrorReply } from '../../parallel/worker-handle.js';
import type { LossName } from '../losses.js';
import type { ChunkSpec, FitPass } from '../chunk-sums.js';

/**
 * Messages between a UserModelPool and its worker threads. The training data is shared once
 * at init; weights (all of the model's, in model.weights order) and each worker's clipped sums
 * (trainable weights, in model.trainableWeights order) travel through SharedArrayBuffers; a
 * step message carries only the worker's passes.
 */

/** One tensor of training data in shared memory. */
export interface SharedTensor {
  readonly buffer: SharedArrayBuffer;
  readonly dtype: 'float32' | 'int32';
  readonly shape: readonly number[];
}

export interface UserInitRequest {
  readonly type: 'init';
  /** The model's topology (LayersModel.toJSON without weights). */
  readonly topology: object;
  readonly backend: BackendName;
  readonly loss: LossName;
  readonly fromLogits: boolean;
  readonly spec: Omit<ChunkSpec, 'loss'>;
  /** Shapes the rebuilt model's weights and trainable weights must have (checked by the worker). */
  readonly weightShapes: readonly (readonly number[])[];
  readonly trainableShapes: readonly (readonly number[])[];
  readonly weights: SharedArrayBuffer;
  readonly out: SharedArrayBuffer;
  readonly xs: readonly SharedTensor[];
  readonly y: SharedTensor;
}

export interface UserStepRequest {
  readonly type: 'step';
  readonly id: number;
  /** This worker's passes over its contiguous share of the logical batch. */
  readonly passes: readonly FitPass[];
}

export type UserWorkerRequest = UserInitRequest | UserStepRequest;

export type UserWorkerReply =
  | { readonly type: 'ready'; readonly id: 0 }
  | {
      readonly type: 'step';
      readonly id: number;
      /** False when the worker had no pass (its out buffer was not written). */
      readonly wrote: boolean;
      readonly lossSum: number;
      /** Per-example (or per-unit) norms of its passes, in order (empty for non-private runs). */
      readonly norms: Float32Array;
      readonly computeMs: number;
    }
  | ErrorReply;
