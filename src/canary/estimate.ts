import { UserError } from '../util/errors.js';
import { type SkewNormal, fitSkewNormal, skewNormalLogCdf } from './skew-normal.js';

/**
 * Interpolation estimate of exposure from a uniform sample of R (TensorFlow Privacy's
 * secret_sharer definition): with N = reference count and
 * rank = 1 + #{references with log-perplexity <= canary's}, exposure = log2 N - log2 rank, bits.
 * Ties count against the canary. Ranges over [log2 N - log2(N + 1), log2 N], so it can be
 * slightly negative for a canary worse than every reference.
 */
export function interpolationExposure(referenceBits: ArrayLike<number>, canaryBits: number): number {
  const n = referenceBits.length;
  if (n === 0) throw new RangeError('interpolation needs at least one reference');
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

/** Fewest references accepted for estimation (a skew-normal fit needs a real sample). */
export const MIN_REFERENCES = 50;

/** Exposure estimates for named canaries against one reference sample. */
export interface ExposureEstimates {
  reference: { count: number; skewNormal: SkewNormal };
  /** Per canary name, one value per canary score, in input order (bits). */
  exposures: Record<string, { interpolation: number[]; extrapolation: number[] }>;
}

/**
 * Both estimates for every score of every canary, fitting the skew-normal once. Throws
 * UserError for fewer than MIN_REFERENCES references, non-finite scores, or references with
 * no spread.
 */
export function estimateExposures(
  canaries: Readonly<Record<string, readonly number[]>>,
  referenceBits: readonly number[] | Float64Array,
): ExposureEstimates {
  const n = referenceBits.length;
  if (n < MIN_REFERENCES) {
    throw new UserError(`estimating exposure needs at least ${MIN_REFERENCES} reference scores, got ${n}`);
  }
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(referenceBits[i]!)) throw new UserError(`reference score ${i} is not a finite number`);
  }
  let allSame = true;
  for (let i = 1; i < n && allSame; i++) allSame = referenceBits[i] === referenceBits[0];
  if (allSame) throw new UserError('all reference scores are equal; a skew-normal cannot be fitted to them');
  for (const [name, scores] of Object.entries(canaries)) {
    scores.forEach((s, i) => {
      if (!Number.isFinite(s)) throw new UserError(`score ${i} of canary '${name}' is not a finite number`);
    });
  }
  const skewNormal = fitSkewNormal(referenceBits);
  const exposures: ExposureEstimates['exposures'] = {};
  for (const [name, scores] of Object.entries(canaries)) {
    exposures[name] = {
      interpolation: scores.map((s) => interpolationExposure(referenceBits, s)),
      extrapolation: scores.map((s) => extrapolationExposure(skewNormal, s)),
    };
  }
  return { reference: { count: n, skewNormal }, exposures };
}
