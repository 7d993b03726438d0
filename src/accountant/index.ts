/**
 * The privacy accountant: RDP of the Poisson-subsampled Gaussian mechanism (add/remove-one
 * adjacency), composition in a ledger, conversion to (epsilon, delta) with epsilon in nats,
 * calibration of the noise multiplier. Pure TypeScript, no tfjs.
 */
export type { SampledGaussianEvent } from './events.js';
export { sampledGaussianEvent } from './events.js';
export { DEFAULT_ORDERS, DP_ACCOUNTING_ORDERS } from './orders.js';
export { sampledGaussianRdp, singleStepRdp, clearRdpCache, type RdpMethod } from './rdp.js';
export { epsilonFromRdp, deltaFromRdp, classicEpsilonFromRdp } from './conversion.js';
export { PrivacyLedger } from './ledger.js';
export { calibrateNoiseMultiplier, maxStepsForBudget } from './calibrate.js';
