/**
 * How a logical batch is divided among W workers. Each physical chunk (see
 * logical-batch.ts physicalChunks) is cut into W near-equal contiguous parts and worker w gets
 * part w of every chunk. A worker still knows which chunk each part came from and where in it,
 * so it draws the same dropout masks as a one-thread run does for that chunk: a W-thread run
 * then differs from a one-thread run only in floating-point summation order.
 */
export interface ShardPart {
  /** Index of the physical chunk. */
  readonly chunk: number;
  /** Examples in the whole chunk. */
  readonly chunkSize: number;
  /** Position of this part's first example within the chunk. */
  readonly offset: number;
  /** Example indices of this part. */
  readonly indices: Int32Array;
}

/** Parts of `chunks` for each of `workers` workers (a worker may get none). */
export function shardChunks(chunks: readonly Int32Array[], workers: number): ShardPart[][] {
  if (!(Number.isInteger(workers) && workers >= 1)) throw new RangeError(`workers must be an integer >= 1, got ${workers}`);
  const out: ShardPart[][] = Array.from({ length: workers }, () => []);
  chunks.forEach((chunk, c) => {
    const B = chunk.length;
    for (let w = 0; w < workers; w++) {
      const lo = Math.floor((w * B) / workers);
      const hi = Math.floor(((w + 1) * B) / workers);
      if (hi > lo) out[w]!.push({ chunk: c, chunkSize: B, offset: lo, indices: chunk.slice(lo, hi) });
    }
  });
  return out;
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
