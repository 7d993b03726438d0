import { InvalidArgumentError } from '../util/errors.js';
import { type SkewNormal, fitSkewNormal, skewNormalLogCdf } from './skew-normal.js';

/**
 * Interpolation estimate of exposure from a uniform sample of R (TensorFlow Privacy's
 * secret_sharer definition): with N = reference count and
 * rank = 1 + #{references with log-perplexity <= canary's}, exposure = log2 N - log2 rank, bits.
 * Ties count against the canary. Ranges over [log2 N - log2(N + 1), log2 N], so it can be
 * slightly negative for a canary worse than every reference.
 *
 * ```ts
 * import { interpolationExposure } from 'dp-canary/canary';
 * const references = [10, 11, 12, 13, 14, 15, 16, 17]; // log-perplexities (bits) of random secrets
 * interpolationExposure(references, 9); // 3 bits: no reference is as likely as the canary
 * ```
 */
export function interpolationExposure(referenceBits: ArrayLike<number>, canaryBits: number): number {
  const n = referenceBits.length;
  if (n === 0) throw new InvalidArgumentError('interpolation needs at least one reference');
  let below = 0;
  for (let i = 0; i < n; i++) if (referenceBits[i]! <= canaryBits) below++;
  return Math.log2(n) - Math.log2(1 + below);
}

/**
 * Extrapolation estimate of exposure: -log2 F(canary's log-perplexity) under a skew-normal F
 * fitted to the references' log-perplexities (bits). Computed from ln F, so a canary far in the
 * lower tail gets a large finite exposure instead of Infinity.
 */
export function extrapolationExposure(fit: SkewNormal, canaryBits: number): number {
  return -skewNormalLogCdf(fit, canaryBits) / Math.LN2;
}

/**
 * References below which extrapolation is flagged as unreliable: a skew-normal fitted to a
 * few dozen values pins down its lower tail poorly, and the tail is all extrapolation reads.
 * Interpolation needs only one reference (TF Privacy's own secret_sharer examples use 10-16).
 */
export const MIN_REFERENCES = 50;

/** Fewest references a skew-normal (three parameters) can be fitted to at all. */
export const MIN_FIT_REFERENCES = 3;

/** Exposure estimates for named canaries against one reference sample. */
export interface ExposureEstimates {
  /** The skew-normal fit is null when extrapolation was not computed (see `warning`). */
  reference: { count: number; skewNormal: SkewNormal | null };
  /**
   * Per canary name, one value per canary score, in input order (bits). Extrapolation is null
   * when no skew-normal could be fitted.
   */
  exposures: Record<string, { interpolation: number[]; extrapolation: number[] | null }>;
  /**
   * Present when extrapolation is unreliable (fewer than MIN_REFERENCES references) or was not
   * computed (then the reason); one sentence.
   */
  warning?: string;
}

/** The skew-normal fit of the references, or why there is none. */
function tryFit(referenceBits: readonly number[] | Float64Array): SkewNormal | string {
  const n = referenceBits.length;
  if (n < MIN_FIT_REFERENCES) {
    return `extrapolation not computed: a skew-normal fit needs at least ${MIN_FIT_REFERENCES} reference scores, got ${n}`;
  }
  let allSame = true;
  for (let i = 1; i < n && allSame; i++) allSame = referenceBits[i] === referenceBits[0];
  if (allSame) return 'extrapolation not computed: all reference scores are equal, so a skew-normal cannot be fitted to them';
  const fit = fitSkewNormal(referenceBits);
  if (![fit.shape, fit.location, fit.scale].every(Number.isFinite) || !(fit.scale > 0)) {
    return `extrapolation not computed: the skew-normal fit to ${n} reference scores did not converge`;
  }
  return fit;
}

/**
 * Both estimates for every score of every canary, fitting the skew-normal once. Interpolation
 * is computed for any number N >= 1 of references; extrapolation when a skew-normal can be
 * fitted (at least MIN_FIT_REFERENCES references with spread), with a warning below
 * MIN_REFERENCES, else null with the reason in `warning`. Throws InvalidArgumentError for no references
 * or non-finite scores.
 *
 * ```ts
 * import { estimateExposures } from 'dp-canary/canary';
 * const references = Array.from({ length: 200 }, (_, i) => 20 + 4 * Math.sin(i)); // bits
 * const { exposures } = estimateExposures({ 'my-pin': [14, 21] }, references);
 * exposures['my-pin']!.interpolation; // one estimate per score, in bits
 * ```
 */
export function estimateExposures(
  canaries: Readonly<Record<string, readonly number[]>>,
  referenceBits: readonly number[] | Float64Array,
): ExposureEstimates {
  const n = referenceBits.length;
  if (n === 0) throw new InvalidArgumentError('estimating exposure needs at least one reference score, got none');
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(referenceBits[i]!)) throw new InvalidArgumentError(`reference score ${i} is not a finite number`);
  }
  for (const [name, scores] of Object.entries(canaries)) {
    scores.forEach((s, i) => {
      if (!Number.isFinite(s)) throw new InvalidArgumentError(`score ${i} of canary '${name}' is not a finite number`);
    });
  }
  const fit = tryFit(referenceBits);
  const skewNormal = typeof fit === 'string' ? null : fit;
  const exposures: ExposureEstimates['exposures'] = {};
  for (const [name, scores] of Object.entries(canaries)) {
    exposures[name] = {
      interpolation: scores.map((s) => interpolationExposure(referenceBits, s)),
      extrapolation: skewNormal ? scores.map((s) => extrapolationExposure(skewNormal, s)) : null,
    };
  }
  const warning =
    typeof fit === 'string'
      ? fit
      : n < MIN_REFERENCES
        ? `extrapolation from ${n} reference scores (fewer than ${MIN_REFERENCES}) is unreliable: the fitted skew-normal's tail is poorly determined`
        : undefined;
  return { reference: { count: n, skewNormal }, exposures, ...(warning !== undefined ? { warning } : {}) };
}
