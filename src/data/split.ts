import type { RandomSource } from '../util/random.js';
import { InvalidArgumentError } from '../util/errors.js';

/** Lines of a corpus split into a training and a validation part. */
export interface TrainValidationSplit {
  /** Training lines, in corpus order. Canaries are inserted here only, AFTER the split. */
  train: string[];
  /** Validation lines, in corpus order. */
  validation: string[];
}

/**
 * Split whole lines (sentences) into train and validation: round(fraction * n) lines, at
 * least 1 and at most n-1, chosen uniformly at random by `rng` (a partial Fisher-Yates
 * shuffle of the indices), go to validation. Both parts keep corpus order. The split is done
 * on the clean corpus, before any canary exists, so no canary can reach validation.
 * @param fraction validation fraction in (0, 1)
 */
export function splitTrainValidation(lines: readonly string[], fraction: number, rng: RandomSource): TrainValidationSplit {
  const isVal = validationMask(lines.length, fraction, rng, 'lines of text');
  const train: string[] = [];
  const validation: string[] = [];
  lines.forEach((l, i) => (isVal[i] ? validation : train).push(l));
  return { train, validation };
}

/**
 * Which of n items go to validation (1) and which to training (0): round(fraction * n) of them,
 * at least 1 and at most n-1, chosen uniformly at random by `rng` (a partial Fisher-Yates
 * shuffle of the indices). splitTrainValidation's draws: the same rng gives the same choice.
 * @param fraction validation fraction in (0, 1)
 * @param what the items in error messages, e.g. 'lines of text'
 */
export function validationMask(n: number, fraction: number, rng: RandomSource, what: string): Uint8Array {
  if (!(fraction > 0 && fraction < 1)) throw new InvalidArgumentError(`the validation fraction must be in (0, 1), got ${fraction}`);
  if (n < 2) throw new InvalidArgumentError(`a train/validation split needs at least 2 ${what}, got ${n}`);
  const k = Math.min(n - 1, Math.max(1, Math.round(fraction * n)));
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(n - i);
    const t = idx[i]!;
    idx[i] = idx[j]!;
    idx[j] = t;
  }
  const isVal = new Uint8Array(n);
  for (let i = 0; i < k; i++) isVal[idx[i]!] = 1;
  return isVal;
}
