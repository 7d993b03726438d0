import { InternalError, InvalidArgumentError } from '../../util/errors.js';
/**
 * How a logical batch is divided among W workers and into forward/backward passes. The batch
 * is cut into W near-equal contiguous shares, and each share into passes of at most the
 * physical batch size P, so a worker runs as few and as large passes as memory allows.
 *
 * A one-thread run processes physical chunks [0, P), [P, 2P), ... of the batch and draws each
 * chunk's dropout masks from the chunk's own stream. Each pass records which parts of which
 * chunks it holds (its segments), so a worker cuts the same masks out of those chunks' masks:
 * a W-thread run then differs from a one-thread run only in floating-point summation order.
 * With W = 1 the passes are exactly the one-thread chunks.
 */

/** Examples of a pass that lie in one physical chunk of the one-thread layout. */
export interface Segment {
  /** Index of the chunk. */
  readonly chunk: number;
  /** Examples in the whole chunk. */
  readonly chunkSize: number;
  /** Position of the segment's first example within the chunk. */
  readonly offset: number;
  readonly length: number;
}

/** One forward/backward pass: consecutive examples of the logical batch. */
export interface Pass {
  /** Position of the pass's first example in the logical batch. */
  readonly start: number;
  /** Example indices of the pass (at most the physical batch size). */
  readonly indices: Int32Array;
  /** The chunks the pass's examples come from, in order; their lengths add up to indices.length. */
  readonly segments: readonly Segment[];
  /** A pass of whole privacy units (see {@link shardUnits}); absent: one example per row. */
  readonly units?: UnitRows;
}

/**
 * How a unit pass lays out its rows: `count` units of `rowsPerUnit` rows each, slot-major (row
 * s * count + u is slot s of unit u), so the time-major taps [T, count * k, P] reshape for free
 * to [k T, count, P], one column per unit. A unit with fewer windows than k is padded with
 * copies of its first window whose loss weight is 0, so their output gradients are exactly 0.
 */
export interface UnitRows {
  /** Units in the pass. */
  readonly count: number;
  /** k: rows per unit (the most windows any of its units contributes). */
  readonly rowsPerUnit: number;
  /** Loss weight of each row: 1 / (the unit's windows) for a real row (the unit's mean), 0 for padding. */
  readonly weights: Float32Array;
}

/** Contiguous ranges [from, to) of `count` items for `workers` workers (empty ranges dropped). */
export function splitRange(count: number, workers: number): Array<{ from: number; to: number }> {
  const out: Array<{ from: number; to: number }> = [];
  for (let w = 0; w < workers; w++) {
    const from = Math.floor((w * count) / workers);
    const to = Math.floor(((w + 1) * count) / workers);
    if (to > from) out.push({ from, to });
  }
  return out;
}

/**
 * The passes of each of `workers` workers for the logical batch `indices` with physical batch
 * size `physicalBatchSize` (>= 1, or Infinity: one pass per share). A worker may get none.
 */
export function shardBatch(indices: Int32Array, physicalBatchSize: number, workers: number): Pass[][] {
  if (!(Number.isInteger(workers) && workers >= 1)) throw new InvalidArgumentError(`workers must be an integer >= 1, got ${workers}`);
  if (!(physicalBatchSize >= 1)) throw new InvalidArgumentError(`physical batch size must be >= 1, got ${physicalBatchSize}`);
  const B = indices.length;
  const P = Number.isFinite(physicalBatchSize) ? Math.floor(physicalBatchSize) : Math.max(1, B);
  const out: Pass[][] = Array.from({ length: workers }, () => []);
  for (let w = 0; w < workers; w++) {
    const lo = Math.floor((w * B) / workers);
    const hi = Math.floor(((w + 1) * B) / workers);
    for (let a = lo; a < hi; a += P) {
      const b = Math.min(hi, a + P);
      const segments: Segment[] = [];
      for (let c = Math.floor(a / P); c * P < b; c++) {
        const from = Math.max(a, c * P);
        const to = Math.min(b, (c + 1) * P);
        segments.push({ chunk: c, chunkSize: Math.min(P, B - c * P), offset: from - c * P, length: to - from });
      }
      out[w]!.push({ start: a, indices: indices.slice(a, b), segments });
    }
  }
  return out;
}

/**
 * The passes of each of `workers` workers for one step of privacy units: unit j brings the next
 * sizes[j] entries of `rows`. Units are cut into near-equal contiguous shares, one per worker, so
 * no unit is split; each share into passes of as many units as fit in `physicalBatchSize` rows
 * (at least one unit per pass). A pass's `start` is the position of its first unit in the step.
 */
export function shardUnits(rows: Int32Array, sizes: Int32Array, physicalBatchSize: number, workers: number): Pass[][] {
  if (!(Number.isInteger(workers) && workers >= 1)) throw new InvalidArgumentError(`workers must be an integer >= 1, got ${workers}`);
  if (!(physicalBatchSize >= 1)) throw new InvalidArgumentError(`physical batch size must be >= 1, got ${physicalBatchSize}`);
  const offsets = new Int32Array(sizes.length + 1);
  sizes.forEach((n, j) => (offsets[j + 1] = offsets[j]! + n));
  if (offsets[sizes.length] !== rows.length) throw new InternalError(`unit sizes add up to ${offsets[sizes.length]}, not to the ${rows.length} rows`);
  const out: Pass[][] = Array.from({ length: workers }, () => []);
  let chunk = 0;
  for (let w = 0; w < workers; w++) {
    const to = Math.floor(((w + 1) * sizes.length) / workers);
    let a = Math.floor((w * sizes.length) / workers);
    while (a < to) {
      // Grow the pass while its padded rows (units x most windows) fit.
      let b = a + 1;
      let k = sizes[a]!;
      while (b < to && (b + 1 - a) * Math.max(k, sizes[b]!) <= physicalBatchSize) k = Math.max(k, sizes[b++]!);
      out[w]!.push(unitPass(rows, offsets, sizes, a, b, k, chunk++));
      a = b;
    }
  }
  return out;
}

/** Units a..b-1 of a step as one pass of k rows per unit (slot-major, padded). */
function unitPass(rows: Int32Array, offsets: Int32Array, sizes: Int32Array, a: number, b: number, k: number, chunk: number): Pass {
  const count = b - a;
  const indices = new Int32Array(count * k);
  const weights = new Float32Array(count * k);
  for (let u = 0; u < count; u++) {
    const n = sizes[a + u]!;
    const first = offsets[a + u]!;
    for (let s = 0; s < k; s++) {
      const real = s < n;
      indices[s * count + u] = rows[first + (real ? s : 0)]!;
      weights[s * count + u] = real ? 1 / n : 0;
    }
  }
  return {
    start: a,
    indices,
    segments: [{ chunk, chunkSize: indices.length, offset: 0, length: indices.length }],
    units: { count, rowsPerUnit: k, weights },
  };
}
