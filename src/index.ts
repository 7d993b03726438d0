/**
 * dp-canary as a library. Subpath entry points load only what they need:
 * - `dp-canary/accountant`: privacy accounting (RDP of the Poisson-subsampled Gaussian, the
 *   ledger, calibration); pure TypeScript, loads no tfjs.
 * - `dp-canary/dpsgd`: DP-SGD for your own tf.LayersModel and for dp-canary's language models.
 * - `dp-canary/canary`: canaries, exposure (exact, interpolation, extrapolation), extraction.
 * This root entry re-exports all three, plus the error types and the random sources.
 */
export * from './accountant/index.js';
export * from './dpsgd/public.js';
export * from './canary/index.js';
export { DpCanaryError, InvalidArgumentError, NonFiniteLossError, WorkerFailedError } from './util/errors.js';
export { seededRandom, secureRandom, type RandomSource } from './util/random.js';
