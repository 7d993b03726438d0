/**
 * What a step does when an example's loss or gradient is not finite (NaN or Infinity).
 *
 * One such example would otherwise turn every weight into NaN: its influence on the output is
 * unbounded, which is a privacy failure too (its presence is visible in the model). 'stop'
 * (the default) refuses the step with a NonFiniteLossError naming it, before anything is
 * applied, so the last checkpoint stays the last good state. 'skip' drops those examples from
 * the step: each contributes zero (a function of the example alone, so the clipped sum keeps
 * sensitivity C and the accounting is unchanged) and they are counted.
 *
 * A step is non-finite when its summed loss or one of its per-example gradient norms (DP) is.
 * NaN weights or an overflowing gradient show up in both; a non-private step is judged by its
 * loss alone.
 */
import { NonFiniteLossError } from '../util/errors.js';

/** 'stop': refuse the step (NonFiniteLossError); 'skip': leave the examples out and count them. */
export type NonFinitePolicy = 'stop' | 'skip';

export const NON_FINITE_POLICIES: readonly NonFinitePolicy[] = ['stop', 'skip'];

/** What a guarded step computed: its result and how many examples were left out. */
export interface GuardedStep<G> {
  readonly result: G;
  readonly skipped: number;
}

/** The parts of a step's gradient the guard reads. */
export interface StepHealth {
  readonly lossSum: number;
  /** Per-example gradient norms in the order of the indices (empty or null when not computed). */
  readonly norms: Float32Array | null;
}

/** Whether a step's loss and norms are all finite. */
export function isFiniteStep(g: StepHealth): boolean {
  if (!Number.isFinite(g.lossSum)) return false;
  if (g.norms) for (const v of g.norms) if (!Number.isFinite(v)) return false;
  return true;
}

/**
 * Runs `compute` on the step's indices; when the result is not finite, stops (policy 'stop') or
 * finds the offending examples with `badPositions` (positions into `indices` whose own loss or
 * gradient is not finite), disposes the first result with `dispose`, and computes the step again
 * without them. `step` is 0-based; messages give it 1-based.
 */
export async function guardNonFinite<G extends StepHealth>(
  indices: Int32Array,
  step: number,
  policy: NonFinitePolicy,
  compute: (indices: Int32Array) => Promise<G> | G,
  badPositions: (indices: Int32Array, first: G) => number[],
  dispose: (g: G) => void,
): Promise<GuardedStep<G>> {
  const first = await compute(indices);
  if (isFiniteStep(first)) return { result: first, skipped: 0 };
  const bad = new Set(badPositions(indices, first));
  dispose(first);
  const where = `step ${step + 1}`;
  if (policy === 'stop') {
    const which = bad.size > 0 ? `${bad.size} of its ${indices.length} examples` : 'the batch';
    throw new NonFiniteLossError(
      `${where}: the loss or a gradient of ${which} is not finite (NaN or Infinity); the step was not applied and the last checkpoint is kept. ` +
        `Check the data for NaN or Infinity, lower the learning rate, or skip such examples (--non-finite skip / nonFinite: 'skip').`,
      step + 1,
    );
  }
  if (bad.size === 0) {
    throw new NonFiniteLossError(`${where}: the loss is not finite but no single example's is, so none can be skipped (the weights themselves may be non-finite); the step was not applied.`, step + 1);
  }
  if (bad.size === indices.length && indices.length > 1) {
    throw new NonFiniteLossError(`${where}: every example's loss or gradient is not finite, so the weights themselves are probably not finite (lower the learning rate); the step was not applied.`, step + 1);
  }
  const kept = Int32Array.from(indices.filter((_, i) => !bad.has(i)));
  const second = await compute(kept);
  if (!isFiniteStep(second)) {
    dispose(second);
    throw new NonFiniteLossError(`${where}: still not finite after leaving out ${bad.size} example(s); the step was not applied.`, step + 1);
  }
  return { result: second, skipped: bad.size };
}

/** Positions whose value is not finite. */
export function nonFinitePositions(values: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) out.push(i);
  return out;
}
