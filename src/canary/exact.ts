import { InvalidArgumentError } from '../util/errors.js';
import type { StateBatch } from './scorer.js';
import { BITS_PER_NAT, DEFAULT_BATCH_ROWS, type SpaceModel, advanceCounted } from './secret-model.js';
import { productOfSizes } from './space.js';

/** Default largest |R| enumerated exactly (|R| float64 values = 800 MB at this size). */
export const DEFAULT_MAX_EXACT_SPACE = 1e8;

/** Options of {@link enumerateLogPerplexities}. */
export interface EnumerateOptions {
  /** Rows per scorer.advance call (default 4096); also bounds the states held per tree level. */
  batchRows?: number;
  /** Refuse spaces larger than this (default 1e8). */
  maxSpace?: number;
  /** Called after each leaf block with the number of secrets scored so far. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Enumerate only the secrets whose first symbol lies in [from, to) (default: all): a block of
   * (to - from) * A^(L-1) values, indexed from the block's first secret. Disjoint blocks are
   * independent, so they can be computed in parallel and laid end to end.
   */
  firstSymbols?: { from: number; to: number };
}

/**
 * Log-perplexity in bits of EVERY secret of R given the prefix, indexed in mixed radix, first
 * position most significant (index = sum_i s_i * prod_{j>i} A_j: lexicographic for a single
 * slot, see secretIndex and spaceIndex). The tree of secrets is walked depth first in chunks of
 * subtrees: each call advances at most `batchRows` rows, so at most about length * batchRows
 * states are alive at once, whatever |R| is. Leaves need no state: their last term comes from
 * their parent's log-probabilities, so only sum_{k=1}^{L-1} prod_{i<k} A_i rows are advanced in
 * total (|R|/(A-1) for a large single-slot R). A one-symbol position (a literal separator)
 * advances its nodes without branching.
 *
 * ```ts
 * import type { Scorer } from 'dp-canary/canary';
 * // A toy model over the digits (token ids 0-9) that gives 7 probability 1/2 at every step.
 * const row = Float32Array.from({ length: 10 }, (_, v) => Math.log(v === 7 ? 0.5 : 0.5 / 9));
 * const rows = (n: number): Float32Array => { const a = new Float32Array(n * 10); for (let i = 0; i < n; i++) a.set(row, i * 10); return a; };
 * const scorer: Scorer = {
 *   vocabSize: 10,
 *   start: async () => ({ state: { size: 1 }, logProbs: rows(1) }),
 *   advance: async (_state, parents) => ({ state: { size: parents.length }, logProbs: rows(parents.length) }),
 *   dispose: () => {},
 * };
 * import { openSecretModel } from 'dp-canary/canary';
 * const digits = Int32Array.from({ length: 10 }, (_, i) => i); // the token id of each symbol
 * const model = await openSecretModel(scorer, [], digits, 3); // secrets of 3 digits, no prefix
 * import { enumerateLogPerplexities } from 'dp-canary/canary';
 * const all = await enumerateLogPerplexities(model); // 1,000 log-perplexities (bits), by secret index
 * all[777]; // 3
 * ```
 */
export async function enumerateLogPerplexities(model: SpaceModel, opts: EnumerateOptions = {}): Promise<Float64Array> {
  const { positionIds } = model;
  const L = model.length;
  const sizes = positionIds.map((ids) => ids.length);
  const A0 = sizes[0]!;
  const from = opts.firstSymbols?.from ?? 0;
  const to = opts.firstSymbols?.to ?? A0;
  if (!(Number.isInteger(from) && Number.isInteger(to) && 0 <= from && from < to && to <= A0)) {
    throw new InvalidArgumentError(`first symbols [${from}, ${to}) must be a non-empty range within [0, ${A0})`);
  }
  const total = productOfSizes(sizes);
  const below = productOfSizes(sizes.slice(1)); // secrets under one first symbol
  const blockSize = (to - from) * below;
  const base = from * below;
  const maxSpace = opts.maxSpace ?? DEFAULT_MAX_EXACT_SPACE;
  if (total > maxSpace) {
    const uniform = sizes.every((a) => a === A0);
    const shape = uniform ? `${A0}^${L}` : sizes.filter((a) => a > 1).join('*');
    const log2 = uniform ? L * Math.log2(A0) : sizes.reduce((b, a) => b + Math.log2(a), 0);
    throw new InvalidArgumentError(
      `exact exposure would enumerate |R| = ${shape} = 2^${log2.toFixed(1)} secrets, above the limit of ${maxSpace}; ` +
        `use estimated exposure (a random sample of R with interpolation and skew-normal extrapolation) or raise the limit`,
    );
  }
  const batchRows = Math.max(Math.max(...sizes), opts.batchRows ?? DEFAULT_BATCH_ROWS);
  const out = new Float64Array(blockSize);
  const { scorer } = model;
  const V = scorer.vocabSize;
  let done = 0;

  // Rows of `state` are the tree nodes first .. first+n-1 of depth `depth` (contiguous in
  // mixed-radix order), with accumulated log-perplexities acc (bits). Only the root's
  // children are restricted (to the block's first symbols); deeper levels take every symbol.
  const descend = async (state: StateBatch, logProbs: Float32Array, n: number, depth: number, acc: Float64Array, first: number): Promise<void> => {
    const symbolIds = positionIds[depth]!;
    const A = symbolIds.length;
    const sLo = depth === 0 ? from : 0;
    const sHi = depth === 0 ? to : A;
    const width = sHi - sLo;
    if (depth === L - 1) {
      for (let i = 0; i < n; i++) {
        const at = (first + i) * A - base;
        const row = i * V;
        for (let s = sLo; s < sHi; s++) out[at + s] = acc[i]! - logProbs[row + symbolIds[s]!]! * BITS_PER_NAT;
      }
      done += n * width;
      opts.onProgress?.(done, blockSize);
      return;
    }
    const perChunk = Math.max(1, Math.floor(batchRows / A));
    for (let p0 = 0; p0 < n; p0 += perChunk) {
      const p1 = Math.min(n, p0 + perChunk);
      const m = (p1 - p0) * width;
      const parents = new Int32Array(m);
      const tokens = new Int32Array(m);
      const childAcc = new Float64Array(m);
      for (let i = p0, j = 0; i < p1; i++) {
        const row = i * V;
        for (let s = sLo; s < sHi; s++, j++) {
          parents[j] = i;
          tokens[j] = symbolIds[s]!;
          childAcc[j] = acc[i]! - logProbs[row + symbolIds[s]!]! * BITS_PER_NAT;
        }
      }
      const next = await advanceCounted(model, state, parents, tokens);
      try {
        await descend(next.state, next.logProbs, m, depth + 1, childAcc, (first + p0) * A + sLo);
      } finally {
        scorer.dispose(next.state);
      }
    }
  };
  await descend(model.start.state, model.start.logProbs, 1, 0, new Float64Array(1), 0);
  return out;
}

/** A canary's exact rank and exposure. */
export interface ExactExposure {
  /** Log-perplexity of the canary in bits (from the enumeration itself). */
  logPerplexityBits: number;
  /** #{r in R : Px(r) <= Px(canary)}, in [1, |R|]; ties count against the canary. */
  rank: number;
  /** log2 |R| - log2 rank, in bits, in [0, log2 |R|]. */
  exposure: number;
}

/**
 * Exact exposures of several canaries from one enumeration: `all` holds the log-perplexities
 * of all of R (from enumerateLogPerplexities) and `canaryIndices` the canaries' lexicographic
 * indices. The canary's own value is read from `all`, so its rank is at least 1.
 *
 * ```ts
 * import type { Scorer } from 'dp-canary/canary';
 * // A toy model over the digits (token ids 0-9) that gives 7 probability 1/2 at every step.
 * const row = Float32Array.from({ length: 10 }, (_, v) => Math.log(v === 7 ? 0.5 : 0.5 / 9));
 * const rows = (n: number): Float32Array => { const a = new Float32Array(n * 10); for (let i = 0; i < n; i++) a.set(row, i * 10); return a; };
 * const scorer: Scorer = {
 *   vocabSize: 10,
 *   start: async () => ({ state: { size: 1 }, logProbs: rows(1) }),
 *   advance: async (_state, parents) => ({ state: { size: parents.length }, logProbs: rows(parents.length) }),
 *   dispose: () => {},
 * };
 * import { openSecretModel } from 'dp-canary/canary';
 * const digits = Int32Array.from({ length: 10 }, (_, i) => i); // the token id of each symbol
 * const model = await openSecretModel(scorer, [], digits, 3); // secrets of 3 digits, no prefix
 * import { enumerateLogPerplexities, exactExposures, secretIndex } from 'dp-canary/canary';
 * const [e] = exactExposures(await enumerateLogPerplexities(model), [secretIndex([7, 7, 7], 10)]);
 * e!.rank; // 1 of 1,000
 * e!.exposure; // log2(1000) = 9.97 bits, the most there is
 * ```
 */
export function exactExposures(all: Float64Array, canaryIndices: readonly number[]): ExactExposure[] {
  const values = canaryIndices.map((idx) => {
    if (!Number.isSafeInteger(idx) || idx < 0 || idx >= all.length) throw new InvalidArgumentError(`canary index ${idx} outside R`);
    return all[idx]!;
  });
  // One pass over R counts for every canary: sort the canaries' values and, per secret,
  // find the first canary value >= it (binary search), then prefix-sum the counts.
  const order = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const sorted = order.map((i) => values[i]!);
  const counts = new Float64Array(sorted.length);
  for (let r = 0; r < all.length; r++) {
    const x = all[r]!;
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]! >= x) hi = mid;
      else lo = mid + 1;
    }
    if (lo < counts.length) counts[lo]! += 1;
  }
  for (let k = 1; k < counts.length; k++) counts[k]! += counts[k - 1]!;
  const log2R = Math.log2(all.length);
  const out: ExactExposure[] = new Array<ExactExposure>(values.length);
  order.forEach((i, k) => {
    const rank = counts[k]!;
    out[i] = { logPerplexityBits: values[i]!, rank, exposure: log2R - Math.log2(rank) };
  });
  return out;
}
