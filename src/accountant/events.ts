import { checkNoiseMultiplier, checkSamplingRate, checkSteps } from './validate.js';

/**
 * `count` steps of the Poisson-subsampled Gaussian mechanism: each example is included
 * independently with probability samplingRate (q in [0, 1]); Gaussian noise of standard deviation
 * noiseMultiplier (sigma >= 0) times the L2 sensitivity (clipping norm) is added to the sum.
 */
export interface SampledGaussianEvent {
  readonly samplingRate: number;
  readonly noiseMultiplier: number;
  readonly count: number;
}

/** A validated, frozen event. Throws UserError on q outside [0, 1], sigma < 0, count not an integer >= 1. */
export function sampledGaussianEvent(samplingRate: number, noiseMultiplier: number, count = 1): SampledGaussianEvent {
  checkSamplingRate(samplingRate);
  checkNoiseMultiplier(noiseMultiplier);
  checkSteps(count, 'count', 1);
  return Object.freeze({ samplingRate, noiseMultiplier, count });
}
