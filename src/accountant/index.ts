/**
 * The privacy accountant: privacy events as values, the RDP accountant (Poisson-subsampled
 * Gaussian, add/remove-one adjacency, tight conversion) and the PLD accountant (privacy loss
 * distributions, pessimistic discretization, FFT composition), a ledger of events, and
 * calibration of the noise multiplier. epsilon is in nats. Pure TypeScript, no tfjs.
 * Internals (the single-step RDP, its cache, the PLD of raw phases, the classic conversion)
 * are imported from their modules by dp-canary itself and its tests, not from here.
 */
// Errors these functions throw on bad arguments, importable without loading tfjs.
export { DpCanaryError, InvalidArgumentError } from '../util/errors.js';
export type { SampledGaussianEvent, DpEvent, DpEventKind } from './events.js';
export {
  sampledGaussianEvent,
  gaussianEvent,
  poissonSampledEvent,
  selfComposedEvent,
  composedEvent,
  nonPrivateEvent,
  noOpEvent,
  dpSgdEvent,
  eventFromJSON,
  checkEvent,
} from './events.js';
export { DEFAULT_ORDERS } from './orders.js';
export { sampledGaussianRdp } from './rdp.js';
export { epsilonFromRdp, deltaFromRdp } from './conversion.js';
export {
  RdpAccountant,
  PldAccountant,
  createAccountant,
  ACCOUNTANT_NAMES,
  isAccountantName,
  type AccountantName,
  type PrivacyAccountant,
  type EpsilonResult,
  type DeltaResult,
} from './accountant.js';
export type { PldOptions, PldFigure } from './pld/index.js';
export { PrivacyLedger, ledgerEpsilon, ledgerDelta, type LedgerJson } from './ledger.js';
export { calibrateNoise, maxStepsForBudget, type NoiseTarget, type NoiseCalibration, type StepsBudget } from './calibrate-noise.js';
