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
  if (!(Number.isInteger(workers) && workers >= 1)) throw new RangeError(`workers must be an integer >= 1, got ${workers}`);
  if (!(physicalBatchSize >= 1)) throw new RangeError(`physical batch size must be >= 1, got ${physicalBatchSize}`);
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
