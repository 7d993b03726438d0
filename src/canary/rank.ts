import type { StateBatch } from './scorer.js';
import { type ExactExposure, enumerateLogPerplexities, exactExposures } from './exact.js';
import { BITS_PER_NAT, DEFAULT_BATCH_ROWS, type SpaceModel, advanceCounted, scoreSecrets } from './secret-model.js';
import { productOfSizes, spaceIndex } from './space.js';
import { InvalidArgumentError } from '../util/errors.js';

/**
 * Exact rank of ONE secret without scoring all of R: a depth-first walk of the tree of secrets
 * that skips every subtree whose partial log-perplexity already exceeds the secret's. Edge
 * weights -log2 Pr are >= 0, so no secret under such a subtree can rank at or above the secret:
 * the count is the one a full enumeration gives, at a fraction of the cost when the secret is
 * likely (a memorized secret visits little more than its own path).
 *
 * A model's float32 log-softmax can be a hair above 0, so a subtree is kept while its partial
 * cost is within POSITIVE_LOGPROB_NATS per remaining position (plus SCORE_SLACK_BITS for
 * batch-dependent rounding) of the secret's. The walk is not trusted when a log-probability it
 * sees is larger, or when its own value of the secret differs from a direct scoring by more
 * than the slack: exactRank then enumerates all of R, exactRankWithin gives up.
 */

/** Largest log-probability (nats) assumed for any token: rounding of a log-softmax stays far below it. */
export const POSITIVE_LOGPROB_NATS = 1e-4;
/** Allowed difference (bits) between the walk's value of the secret and scoreSecrets'. */
export const SCORE_SLACK_BITS = 1e-3;

/** The walk's result: the exposure, and the rows it advanced (a full enumeration's count for comparison). */
export interface RankResult extends ExactExposure {
  /** True when the pruned walk was not safe and the full enumeration gave the answer. */
  fullEnumeration: boolean;
}

/**
 * Leaf values seen by the walk, counted without keeping them all: a value below `low` is
 * certainly below the secret's own (which lies within the slack of the direct score), so only
 * a count is kept; values in [low, high] are kept to be compared with the secret's at the end.
 */
class LeafCounter {
  below = 0;
  private band: number[] = [];
  constructor(private readonly low: number, private readonly high: number) {}
  add(v: number): void {
    if (v < this.low) this.below++;
    else if (v <= this.high) this.band.push(v);
  }
  countAtMost(x: number): number {
    let n = this.below;
    for (const v of this.band) if (v <= x) n++;
    return n;
  }
}

/** Thrown inside the walk when it would pass its row budget. */
class OverBudget extends Error {}

/**
 * The secret's exact rank among all of R (ties count against it) and its exposure
 * log2 |R| - log2 rank, in bits, equal to exactExposures over enumerateLogPerplexities.
 * `symbols` are the secret's symbol indices per position.
 */
export async function exactRank(model: SpaceModel, symbols: Int32Array, opts: { batchRows?: number } = {}): Promise<RankResult> {
  const r = await walk(model, symbols, Infinity, opts.batchRows);
  if (r !== null) return r;
  const sizes = model.positionIds.map((ids) => ids.length);
  const all = await enumerateLogPerplexities(model, { maxSpace: Infinity, ...(opts.batchRows !== undefined ? { batchRows: opts.batchRows } : {}) });
  return { ...exactExposures(all, [spaceIndex(sizes, symbols)])[0]!, fullEnumeration: true };
}

/**
 * exactRank within a budget of `maxRows` rows advanced (the secret's own scoring included),
 * for spaces too large to enumerate: a likely (memorized) secret is ranked exactly at little
 * cost, whatever |R|; null when the walk would pass the budget or was not safe (see above).
 */
export async function exactRankWithin(model: SpaceModel, symbols: Int32Array, maxRows: number, opts: { batchRows?: number } = {}): Promise<RankResult | null> {
  if (!(maxRows >= 0)) throw new InvalidArgumentError(`the row budget must be >= 0, got ${maxRows}`);
  if (maxRows < model.length - 1) return null;
  try {
    return await walk(model, symbols, maxRows, opts.batchRows);
  } catch (err) {
    if (err instanceof OverBudget) return null;
    throw err;
  }
}

/** The pruned walk; null when its result is not safe. Throws OverBudget past maxRows. */
async function walk(model: SpaceModel, symbols: Int32Array, maxRows: number, batchRowsOpt: number | undefined): Promise<RankResult | null> {
  const { positionIds, scorer } = model;
  const rowsAtStart = model.rowsAdvanced;
  const L = model.length;
  const sizes = positionIds.map((ids) => ids.length);
  const [scored] = await scoreSecrets(model, symbols);
  const stepSlack = POSITIVE_LOGPROB_NATS * BITS_PER_NAT;
  const limit = (terms: number): number => scored! + SCORE_SLACK_BITS + (L - terms) * stepSlack;
  const batchRows = Math.max(Math.max(...sizes), batchRowsOpt ?? DEFAULT_BATCH_ROWS);
  const V = scorer.vocabSize;
  const leaves = new LeafCounter(scored! - SCORE_SLACK_BITS, limit(L));
  let ownValue: number | undefined;
  let maxLogProb = -Infinity;

  // Rows of `state` are kept partial secrets of `depth` symbols with costs acc (bits); `path` is
  // the row holding the secret's own prefix, or -1.
  const descend = async (state: StateBatch, logProbs: Float32Array, n: number, depth: number, acc: Float64Array, path: number): Promise<void> => {
    const ids = positionIds[depth]!;
    const A = ids.length;
    const keep = limit(depth + 1);
    const own = symbols[depth]!;
    if (depth === L - 1) {
      for (let i = 0; i < n; i++) {
        for (let s = 0; s < A; s++) {
          const lp = logProbs[i * V + ids[s]!]!;
          if (lp > maxLogProb) maxLogProb = lp;
          const v = acc[i]! - lp * BITS_PER_NAT;
          if (i === path && s === own) ownValue = v;
          leaves.add(v);
        }
      }
      return;
    }
    const perChunk = Math.max(1, Math.floor(batchRows / A));
    const parents = new Int32Array(Math.min(n, perChunk) * A);
    const tokens = new Int32Array(parents.length);
    const childAcc = new Float64Array(parents.length);
    for (let p0 = 0; p0 < n; p0 += perChunk) {
      const p1 = Math.min(n, p0 + perChunk);
      let m = 0;
      let childPath = -1;
      for (let i = p0; i < p1; i++) {
        for (let s = 0; s < A; s++) {
          const lp = logProbs[i * V + ids[s]!]!;
          if (lp > maxLogProb) maxLogProb = lp;
          const c = acc[i]! - lp * BITS_PER_NAT;
          const onPath = i === path && s === own;
          if (c > keep && !onPath) continue;
          if (onPath) childPath = m;
          parents[m] = i;
          tokens[m] = ids[s]!;
          childAcc[m] = c;
          m++;
        }
      }
      if (m === 0) continue;
      if (model.rowsAdvanced - rowsAtStart + m > maxRows) throw new OverBudget();
      const next = await advanceCounted(model, state, parents.slice(0, m), tokens.slice(0, m));
      try {
        await descend(next.state, next.logProbs, m, depth + 1, childAcc.slice(0, m), childPath);
      } finally {
        scorer.dispose(next.state);
      }
    }
  };
  await descend(model.start.state, model.start.logProbs, 1, 0, new Float64Array(1), 0);
  const own = ownValue;
  const safe = own !== undefined && Math.abs(own - scored!) <= SCORE_SLACK_BITS && maxLogProb <= POSITIVE_LOGPROB_NATS;
  if (!safe) return null;
  const rank = leaves.countAtMost(own!);
  return { logPerplexityBits: own!, rank, exposure: Math.log2(productOfSizes(sizes)) - Math.log2(rank), fullEnumeration: false };
}
