/**
 * Privacy loss distribution (PLD) accounting for phases of the Poisson-subsampled Gaussian
 * mechanism under add/remove adjacency: each direction (remove, add) is discretized
 * pessimistically ("connect the dots"), composed by FFT, and the reported epsilon (delta) is
 * the larger of the two directions', as in dp_accounting. Every figure is an upper bound for the
 * mechanism, whatever the grid; the grid only decides how close to the exact value it is.
 *
 * The grid spacing ("interval", nats) is either given, or chosen automatically: starting at
 * 0.01 (or 1/200 of an expected epsilon) and halving while two successive grids differ by more than `accuracy` (relative); the
 * finer figure is returned. Discretization error shrinks at least linearly with the spacing,
 * so the returned figure is then within about `accuracy` of the exact one.
 */
import type { SampledGaussianEvent } from '../events.js';
import { composePhases, pldDelta, pldEpsilon, type ComposedPld } from './compose.js';
import { discretizeSampledGaussian, type Direction } from './discretize.js';

export { discretizeSampledGaussian, type DiscretePld, type Direction } from './discretize.js';
export { composePhases, pldDelta, pldEpsilon, type ComposedPld, type PldPhase } from './compose.js';

/** Default relative accuracy of the automatic grid (0.5%). */
export const DEFAULT_PLD_ACCURACY = 0.005;
/** First grid spacing (nats) of the automatic refinement when no scale is known. */
const START_INTERVAL = 0.01;
/** Finest grid spacing the refinement tries (nats); the grid-size limit usually stops it first. */
const MIN_INTERVAL = 1e-9;
/** Default limit on composed grid points (2^21: about 0.3 s per grid on one core). */
const DEFAULT_MAX_POINTS = 1 << 21;

export interface PldOptions {
  /** Fixed grid spacing in nats (> 0); no refinement. */
  readonly interval?: number;
  /** Relative accuracy of the automatic grid, in (0, 1); default 0.005. */
  readonly accuracy?: number;
  /** Largest composed grid (points); beyond it the PLD is not computed. Default 2^21. */
  readonly maxPoints?: number;
  /**
   * Expected size (nats) of the epsilon sought, e.g. the RDP figure: the automatic refinement
   * then starts at scale / 200 (clamped to [1e-7, 1]) instead of 0.01.
   */
  readonly scale?: number;
}

/** A PLD figure and how it was obtained. */
export interface PldFigure {
  /** epsilon (nats) or delta, an upper bound. */
  readonly value: number;
  /** Grid spacing (nats) of the figure. */
  readonly interval: number;
  /** Whether two successive grids agreed to the requested accuracy (always true for a fixed interval). */
  readonly accuracyMet: boolean;
}

/** Composed PLDs of both directions for the phases on one grid; null when a grid is too large. */
export function composedPlds(
  phases: readonly SampledGaussianEvent[],
  interval: number,
  maxPoints = DEFAULT_MAX_POINTS,
): Record<Direction, ComposedPld> | null {
  const out: Partial<Record<Direction, ComposedPld>> = {};
  for (const dir of ['remove', 'add'] as const) {
    const parts = [];
    for (const ph of phases) {
      const pld = discretizeSampledGaussian(ph.samplingRate, ph.noiseMultiplier, interval, dir);
      if (!pld) return null;
      parts.push({ pld, count: ph.count, errorBound: pld.errorBound });
    }
    const c = composePhases(parts, 1e-15, maxPoints);
    if (!c) return null;
    out[dir] = c;
  }
  return out as Record<Direction, ComposedPld>;
}

/** Phases that spend privacy (q > 0); and whether one has sigma = 0 (no finite guarantee). */
function active(phases: readonly SampledGaussianEvent[]): { live: SampledGaussianEvent[]; unbounded: boolean } {
  const live = phases.filter((p) => p.samplingRate > 0 && p.count > 0);
  return { live, unbounded: live.some((p) => p.noiseMultiplier === 0) };
}

function refine(
  phases: readonly SampledGaussianEvent[],
  o: PldOptions,
  figure: (p: Record<Direction, ComposedPld>) => number,
  close: (coarse: number, fine: number, accuracy: number) => boolean,
): PldFigure | null {
  const maxPoints = o.maxPoints ?? DEFAULT_MAX_POINTS;
  if (o.interval !== undefined) {
    const p = composedPlds(phases, o.interval, maxPoints);
    return p ? { value: figure(p), interval: o.interval, accuracyMet: true } : null;
  }
  const accuracy = o.accuracy ?? DEFAULT_PLD_ACCURACY;
  const start = o.scale !== undefined && o.scale > 0 && Number.isFinite(o.scale) ? Math.min(1, Math.max(1e-7, o.scale / 200)) : START_INTERVAL;
  // Every grid's figure is an upper bound: keep the smallest; stop when two successive agree.
  let best: PldFigure | null = null;
  let previous = NaN;
  for (let h = start; h >= MIN_INTERVAL; h /= 2) {
    const p = composedPlds(phases, h, maxPoints);
    if (!p) return best;
    const v = figure(p);
    if (!best || v <= best.value) best = { value: v, interval: h, accuracyMet: false };
    if (!Number.isNaN(previous) && close(previous, v, accuracy)) return { ...best, accuracyMet: true };
    previous = v;
  }
  return best;
}

/**
 * epsilon (nats) at delta in (0, 1) for the phases, from the PLD: an upper bound, or null when
 * no grid within the size limit can be built. Infinity when delta is below the mass the PLD
 * must treat as failing (infinite loss, truncated tails, rounding slack).
 */
export function pldEpsilonForPhases(phases: readonly SampledGaussianEvent[], delta: number, o: PldOptions = {}): PldFigure | null {
  const { live, unbounded } = active(phases);
  if (live.length === 0) return { value: 0, interval: o.interval ?? START_INTERVAL, accuracyMet: true };
  if (unbounded) return { value: Infinity, interval: o.interval ?? START_INTERVAL, accuracyMet: true };
  return refine(
    live,
    o,
    (p) => Math.max(pldEpsilon(p.remove, delta), pldEpsilon(p.add, delta)),
    (a, b, acc) => a === b || (Number.isFinite(a) && a - b <= acc * b + 1e-9),
  );
}

/** delta at epsilon >= 0 (nats) for the phases, from the PLD: an upper bound; null as for pldEpsilonForPhases. */
export function pldDeltaForPhases(phases: readonly SampledGaussianEvent[], epsilon: number, o: PldOptions = {}): PldFigure | null {
  const { live, unbounded } = active(phases);
  if (live.length === 0) return { value: 0, interval: o.interval ?? START_INTERVAL, accuracyMet: true };
  if (unbounded) return { value: 1, interval: o.interval ?? START_INTERVAL, accuracyMet: true };
  return refine(
    live,
    o,
    (p) => Math.max(pldDelta(p.remove, epsilon), pldDelta(p.add, epsilon)),
    (a, b, acc) => a - b <= acc * b + 1e-15,
  );
}
