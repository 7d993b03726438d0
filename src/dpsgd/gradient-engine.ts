import type { StepGradient } from './gradient.js';
import { logicalBatchGradient, type LogicalStepOptions } from './logical-batch.js';
import type { LanguageModel } from './model.js';

/**
 * Where a training step's gradient is computed: in this thread ({@link localEngine}) or on
 * worker threads (DataParallelPool). Either way the contract is logicalBatchGradient's: the
 * noised (or plain) gradient of one logical batch from the model's current weights.
 */
export interface GradientEngine {
  /** Threads computing gradients (1: the caller's own). */
  readonly threads: number;
  gradient(
    model: LanguageModel,
    examples: readonly (Int32Array | readonly number[])[],
    indices: Int32Array,
    o: LogicalStepOptions,
  ): Promise<StepGradient>;
}

/** The gradient in the caller's thread. */
export const localEngine: GradientEngine = {
  threads: 1,
  gradient: (model, examples, indices, o) => Promise.resolve(logicalBatchGradient(model, examples, indices, o)),
};
