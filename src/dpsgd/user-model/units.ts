/**
 * Privacy units for fitPrivately: the rows one step's sampled units contribute (units.ts
 * drawUnitExamples), laid out unit-major in physical chunks of whole units.
 */
import type { UnitDraw } from '../units.js';
import type { UnitChunk } from './gradient.js';
import type { FitPass } from './chunk-sums.js';
import { physicalChunks } from '../logical-batch.js';
import { splitRange } from '../parallel/shard.js';

/** One forward/backward pass of whole units: the rows to gather (padded) and their layout. */
export interface UnitPass {
  readonly indices: Int32Array;
  readonly units: UnitChunk;
}

/**
 * The passes of one step: consecutive sampled units, as many per pass as fit in `physical` rows
 * once each is padded to the pass's most rows (at least one unit per pass). Unit u's rows are
 * u k .. u k + k - 1; a unit with n < k rows repeats its first row with weight 0.
 */
export function unitPasses(draw: Pick<UnitDraw, 'rows' | 'sizes'>, physical: number): UnitPass[] {
  const { rows, sizes } = draw;
  const out: UnitPass[] = [];
  let at = 0;
  let a = 0;
  while (a < sizes.length) {
    let b = a + 1;
    let k = sizes[a]!;
    while (b < sizes.length && (b + 1 - a) * Math.max(k, sizes[b]!) <= physical) k = Math.max(k, sizes[b++]!);
    const count = b - a;
    const indices = new Int32Array(count * k);
    const weights = new Float32Array(count * k);
    for (let u = 0; u < count; u++) {
      const n = sizes[a + u]!;
      for (let s = 0; s < k; s++) {
        indices[u * k + s] = rows[at + (s < n ? s : 0)]!;
        weights[u * k + s] = s < n ? 1 / n : 0;
      }
      at += n;
    }
    out.push({ indices, units: { count, rowsPerUnit: k, weights } });
    a = b;
  }
  return out;
}

/**
 * A step's passes cut among `workers` workers: contiguous near-equal shares of the sampled rows
 * (or, with a unit draw, of the units, none split), each share in passes as a single thread
 * cuts a batch (physicalChunks, unitPasses). A worker may get none.
 */
export function shareFitPasses(idx: Int32Array, draw: Pick<UnitDraw, 'rows' | 'sizes'> | null, physical: number, workers: number): FitPass[][] {
  if (draw === null) return splitRange(idx.length, workers).map((r) => physicalChunks(idx.subarray(r.from, r.to), physical).map((indices) => ({ indices })));
  const starts = new Int32Array(draw.sizes.length + 1);
  draw.sizes.forEach((n, j) => (starts[j + 1] = starts[j]! + n));
  return splitRange(draw.sizes.length, workers).map((r) =>
    unitPasses({ rows: draw.rows.subarray(starts[r.from]!, starts[r.to]!), sizes: draw.sizes.subarray(r.from, r.to) }, physical),
  );
}
