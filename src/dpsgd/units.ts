/**
 * Privacy units larger than one example (a document, a user): DP-SGD then samples UNITS by
 * Poisson sampling and clips each sampled unit's whole contribution as one example.
 *
 * Per step, each sampled unit contributes at most m of its examples (windows), drawn uniformly
 * without replacement; its contribution is the MEAN of those windows' gradients, clipped to C.
 * The noised sum over units is divided by the expected number of units q U, so the mechanism is
 * the sampled Gaussian mechanism over units and the accountant is unchanged: epsilon(q, sigma, steps)
 * per unit.
 */
import { InvalidArgumentError } from '../util/errors.js';
import type { RandomSource } from '../util/random.js';

/** Training examples grouped into units (compressed rows: unit u holds members[starts[u] .. starts[u+1])). */
export interface UnitIndex {
  /** Number of units U (>= 1). */
  readonly count: number;
  /** Length U + 1, increasing, starts[0] = 0, starts[U] = number of examples. */
  readonly starts: Int32Array;
  /** Example indices, grouped by unit, increasing within a unit. */
  readonly members: Int32Array;
  /** Most examples in one unit. */
  readonly largest: number;
}

/**
 * Groups examples by unit id (one id per example; any numbers or strings). Units are numbered in
 * the order their first example appears. InvalidArgumentError when the lengths differ or there
 * is no example.
 */
export function indexUnits(unitIds: ArrayLike<number | string>, numExamples: number): UnitIndex {
  if (unitIds.length !== numExamples) {
    throw new InvalidArgumentError(`there must be one unit id per example: got ${unitIds.length} ids for ${numExamples} examples.`);
  }
  if (numExamples === 0) throw new InvalidArgumentError('there are no training examples.');
  const numberOf = new Map<number | string, number>();
  const unitOf = new Int32Array(numExamples);
  for (let i = 0; i < numExamples; i++) {
    const id = unitIds[i]!;
    if (typeof id === 'number' ? !Number.isFinite(id) : typeof id !== 'string') {
      throw new InvalidArgumentError(`unit id of example ${i} must be a finite number or a string, got ${String(id)}.`);
    }
    let u = numberOf.get(id);
    if (u === undefined) numberOf.set(id, (u = numberOf.size));
    unitOf[i] = u;
  }
  const count = numberOf.size;
  const starts = new Int32Array(count + 1);
  for (let i = 0; i < numExamples; i++) starts[unitOf[i]! + 1]!++;
  let largest = 0;
  for (let u = 0; u < count; u++) {
    largest = Math.max(largest, starts[u + 1]!);
    starts[u + 1]! += starts[u]!;
  }
  const members = new Int32Array(numExamples);
  const next = starts.slice(0, count);
  for (let i = 0; i < numExamples; i++) members[next[unitOf[i]!]!++] = i;
  return { count, starts, members, largest };
}

/** The examples one step's sampled units contribute, unit after unit. */
export interface UnitDraw {
  /** Example indices: those of the j-th unit of `units` are the next sizes[j] entries. */
  readonly rows: Int32Array;
  /** Examples of each unit in this step, each in 1..m. */
  readonly sizes: Int32Array;
  /** The sampled units in the order of rows and sizes: most examples first (ties by unit index). */
  readonly units: Int32Array;
}

/**
 * For each sampled unit (indices into the UnitIndex), min(m, k_u) of its k_u examples drawn
 * uniformly without replacement from `random` (Floyd's algorithm; all of them when k_u <= m,
 * with no draw), in increasing example order; draws are made in the order of `units`. The
 * result lists the units with the most examples first, so that passes of whole units, each
 * padded to its largest unit, waste few rows (the order changes only summation order).
 */
export function drawUnitExamples(index: UnitIndex, units: ArrayLike<number>, m: number, random: RandomSource): UnitDraw {
  checkWindowsPerStep(m);
  const chosen: Int32Array[] = [];
  for (let j = 0; j < units.length; j++) {
    const u = units[j]!;
    const from = index.starts[u]!;
    const k = index.starts[u + 1]! - from;
    if (k <= m) {
      chosen.push(index.members.slice(from, from + k));
      continue;
    }
    const picked = new Set<number>();
    for (let t = k - m; t < k; t++) {
      const r = random.int(t + 1);
      picked.add(picked.has(r) ? t : r);
    }
    chosen.push(Int32Array.from([...picked].sort((a, b) => a - b), (i) => index.members[from + i]!));
  }
  const order = Array.from(chosen.keys()).sort((a, b) => chosen[b]!.length - chosen[a]!.length || a - b);
  const rows = new Int32Array(chosen.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const j of order) {
    rows.set(chosen[j]!, at);
    at += chosen[j]!.length;
  }
  return { rows, sizes: Int32Array.from(order, (j) => chosen[j]!.length), units: Int32Array.from(order, (j) => units[j]!) };
}

/** InvalidArgumentError unless m is an integer >= 1. */
export function checkWindowsPerStep(m: number): void {
  if (!(Number.isSafeInteger(m) && m >= 1)) throw new InvalidArgumentError(`windows per unit and step must be an integer >= 1, got ${m}.`);
}
