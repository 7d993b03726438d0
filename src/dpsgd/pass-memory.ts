import { InvalidArgumentError } from '../util/errors.js';
import type { LanguageModelConfig } from './model.js';

/**
 * Tensor memory a forward/backward pass may take: 1 GiB of float32 values. The wasm backend's
 * heap ends at 2 GiB (a larger offset overflows its int32 pointers), and allocations fragment it,
 * so a pass is kept to half of it.
 */
export const PASS_MEMORY_FLOATS = 256 * 2 ** 20;

/**
 * An upper estimate of the float32 values one example of T positions holds at the peak of a
 * DP-SGD step of a transformer (tf.profile peaks of the tap pass and clipping on wasm, fitted over
 * width 32-128, FFN 64-512, T 32-64, 1-2 blocks and 4-8 heads: 0-6% above the measured; the
 * non-private step takes 15% less). Most of it is what autodiff keeps for the backward pass:
 * per block and position about 36 values per FFN unit (GELU's intermediates) and 140 per unit of
 * width, and the attention weights of every head.
 */
export function transformerFloatsPerExample(c: { hiddenSize: number; ffnSize: number; heads: number; layers: number; vocabSize: number }, T: number): number {
  const perBlock = 36 * c.ffnSize + 140 * c.hiddenSize + 5 * c.heads * T + 1000;
  return T * (c.layers * perBlock + 30 * c.vocabSize + 20 * c.hiddenSize);
}

/**
 * The most examples of T positions one pass of this model may hold within PASS_MEMORY_FLOATS
 * (at least 1), or Infinity for the recurrent models, whose passes the physical batch size bounds.
 */
export function maxExamplesPerPass(c: LanguageModelConfig, T: number): number {
  if (c.cell !== 'transformer') return Infinity;
  const shape = { hiddenSize: c.hiddenSize, ffnSize: c.ffnSize ?? 4 * c.hiddenSize, heads: c.heads ?? 1, layers: c.layers, vocabSize: c.vocabSize };
  return Math.max(1, Math.floor(PASS_MEMORY_FLOATS / transformerFloatsPerExample(shape, T)));
}

/**
 * The error to throw when `e` is the wasm backend running out of heap in a pass of `examples`
 * examples of T positions (its int32 offsets overflow past 2 GiB), else null: one line that names
 * the fix instead of a RangeError from inside a kernel.
 */
export function heapExhausted(e: unknown, examples: number, T: number): InvalidArgumentError | null {
  const text = e instanceof Error ? e.message : '';
  if (!/outside the bounds of the buffer|offset is out of bounds|memory access out of bounds|Cannot enlarge memory|Array buffer allocation failed/.test(text)) return null;
  return new InvalidArgumentError(
    `the backend ran out of memory in a pass of ${examples} examples of ${T} tokens (the wasm heap ends at 2 GiB): give a smaller physical batch size (--physical-batch-size) and resume.`,
  );
}
