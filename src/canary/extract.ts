import type { StateBatch } from './scorer.js';
import { MinHeap } from './binary-heap.js';
import { BITS_PER_NAT, type SpaceModel, advanceCounted } from './secret-model.js';
import { type SecretSpace, positionSizes, productOfSizes, spaceText } from './space.js';
import { InvalidArgumentError } from '../util/errors.js';

/** A complete secret found by the search. */
export interface ExtractionCandidate {
  secret: string;
  /** Symbol indices of the secret. */
  symbols: Int32Array;
  /** Its log-perplexity in bits given the prefix. */
  logPerplexityBits: number;
  /** Model queries spent when it was found (see extractSecrets). */
  queries: number;
}

export interface ExtractionOptions {
  /**
   * Budget of model queries: one query = one row passed to scorer.advance, i.e. one
   * next-token distribution for one partial secret (the prefix run is not counted). The
   * search never exceeds it. Brute force in these units costs sum_{k=1}^{L-1} A^k (a shared
   * tree; prod_{i<k} A_i for a space with several alphabets) or |R| candidate scorings.
   */
  maxQueries: number;
  /** Partial secrets expanded per scorer.advance call (default 256). */
  batchNodes?: number;
  /** Stop after this many complete candidates (default: no limit). */
  maxCandidates?: number;
  /** Stop as soon as every one of these secrets has been found (the search itself does not use them). */
  stopWhenFound?: ReadonlySet<string>;
}

export interface ExtractionResult {
  /** Complete secrets in the order found: nondecreasing log-perplexity. */
  candidates: ExtractionCandidate[];
  /** Model queries used. */
  queries: number;
  /** Why the search ended. */
  stopped: 'found' | 'candidates' | 'budget' | 'exhausted';
}

interface LiveBatch {
  state: StateBatch;
  refs: number;
}

/**
 * The Secret Sharer extraction attack (Carlini et al. 2019, section 8): best-first (Dijkstra)
 * search over the tree of partial secrets ordered by accumulated log-perplexity. Edge weights
 * -log2 Pr >= 0, so complete secrets leave the heap in nondecreasing log-perplexity: the k-th
 * candidate is the k-th most likely secret. Up to `batchNodes` partial secrets are popped
 * together and expanded with one scorer.advance per state batch their parents live in;
 * children ending the secret need no state (their cost comes from the parent's log-probs).
 * `space` gives the text of each position's symbols (a canary format, or a secret's token-level
 * space); its positions must match the model's. A one-symbol position (a literal separator)
 * has one child, so it costs a query but never branches.
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
 * import { extractSecrets, parseFormat } from 'dp-canary/canary';
 * const format = parseFormat('{digits:3}'); // the same space: 3 symbols of '0123456789'
 * const result = await extractSecrets(model, format, { maxQueries: 200, maxCandidates: 5 });
 * result.candidates[0]!.secret; // '777', the model's most likely secret
 * ```
 */
export async function extractSecrets(model: SpaceModel, space: SecretSpace, opts: ExtractionOptions): Promise<ExtractionResult> {
  const { scorer, positionIds, length: L } = model;
  if (space.positions.length !== L || space.positions.some((p, i) => p.length !== positionIds[i]!.length)) {
    throw new InvalidArgumentError(`the text space (${space.positions.length} positions) does not match the model's ${L} positions and their alphabets`);
  }
  const V = scorer.vocabSize;
  const k = Math.max(1, opts.batchNodes ?? 256);
  const maxCandidates = opts.maxCandidates ?? Infinity;
  const wanted = opts.stopWhenFound;
  const queriesAtStart = model.rowsAdvanced;
  const used = (): number => model.rowsAdvanced - queriesAtStart;

  // Node storage: cost (bits), depth (symbols chosen), parent node, symbol, and where the
  // parent's state lives (batch id, -1 = prefix state; row).
  const cost: number[] = [];
  const depth: number[] = [];
  const parent: number[] = [];
  const symbol: number[] = [];
  const srcBatch: number[] = [];
  const srcRow: number[] = [];
  const batches = new Map<number, LiveBatch>();
  let nextBatch = 0;
  const heap = new MinHeap();

  const pushChildren = (node: number, logProbs: Float32Array, row: number, batchId: number): number => {
    let internal = 0;
    const d = (node < 0 ? 0 : depth[node]!) + 1;
    const symbolIds = positionIds[d - 1]!;
    for (let s = 0; s < symbolIds.length; s++) {
      const id = cost.length;
      cost.push((node < 0 ? 0 : cost[node]!) - logProbs[row * V + symbolIds[s]!]! * BITS_PER_NAT);
      depth.push(d);
      parent.push(node);
      symbol.push(s);
      srcBatch.push(d === L ? -2 : batchId);
      srcRow.push(row);
      if (d < L) internal++;
      heap.push(id, cost[id]!);
    }
    return internal;
  };
  const symbolsOf = (node: number): Int32Array => {
    const out = new Int32Array(L);
    for (let n = node; n >= 0; n = parent[n]!) out[depth[n]! - 1] = symbol[n]!;
    return out;
  };
  const release = (batchId: number): void => {
    const b = batches.get(batchId);
    if (b && --b.refs === 0) {
      scorer.dispose(b.state);
      batches.delete(batchId);
    }
  };

  const candidates: ExtractionCandidate[] = [];
  const missing = new Set(wanted ?? []);
  let stopped: ExtractionResult['stopped'] = 'exhausted';
  pushChildren(-1, model.start.logProbs, 0, -1);
  try {
    search: for (;;) {
      while (heap.size > 0 && depth[heap.peek()]! === L) {
        const node = heap.pop();
        const symbols = symbolsOf(node);
        const secret = spaceText(space, symbols);
        candidates.push({ secret, symbols, logPerplexityBits: cost[node]!, queries: used() });
        missing.delete(secret);
        if (wanted && wanted.size > 0 && missing.size === 0) {
          stopped = 'found';
          break search;
        }
        if (candidates.length >= maxCandidates) {
          stopped = 'candidates';
          break search;
        }
      }
      if (heap.size === 0) break;
      const room = opts.maxQueries - used();
      if (room <= 0) {
        stopped = 'budget';
        break;
      }
      const group: number[] = [];
      while (group.length < Math.min(k, room) && heap.size > 0 && depth[heap.peek()]! < L) group.push(heap.pop());
      // One advance per source batch (partial secrets whose parents share a state batch).
      const bySource = new Map<number, number[]>();
      for (const node of group) {
        const list = bySource.get(srcBatch[node]!);
        if (list) list.push(node);
        else bySource.set(srcBatch[node]!, [node]);
      }
      for (const [src, nodes] of bySource) {
        const state = src === -1 ? model.start.state : batches.get(src)!.state;
        const parents = Int32Array.from(nodes, (n) => srcRow[n]!);
        const tokens = Int32Array.from(nodes, (n) => positionIds[depth[n]! - 1]![symbol[n]!]!);
        const res = await advanceCounted(model, state, parents, tokens);
        const id = nextBatch++;
        let refs = 0;
        nodes.forEach((n, row) => {
          refs += pushChildren(n, res.logProbs, row, id);
        });
        if (refs > 0) batches.set(id, { state: res.state, refs });
        else scorer.dispose(res.state);
        if (src !== -1) for (let i = 0; i < nodes.length; i++) release(src);
      }
    }
  } finally {
    for (const b of batches.values()) scorer.dispose(b.state);
    batches.clear();
  }
  return { candidates, queries: used(), stopped };
}

/** Where the true secret ended up in an extraction, against brute force. */
export interface ExtractionOutcome {
  found: boolean;
  /** 1-based position among the candidates (only when found). */
  position?: number;
  /** Queries spent when it was found, else the total used. */
  queries: number;
  /** |R| (as a float when above 2^53): candidate scorings a brute-force attack needs. */
  spaceSize: number;
  /** Rows a brute-force walk of the whole tree of secrets advances: sum_{k=1}^{L-1} A^k. */
  treeQueries: number;
}

/**
 * Whether `secret` was extracted, at which position and after how many queries, against brute force.
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
 * import { extractSecrets, parseFormat } from 'dp-canary/canary';
 * const format = parseFormat('{digits:3}'); // the same space: 3 symbols of '0123456789'
 * const result = await extractSecrets(model, format, { maxQueries: 200, maxCandidates: 5 });
 * import { extractionOutcome } from 'dp-canary/canary';
 * extractionOutcome(result, '777', format); // { found: true, position: 1, queries, spaceSize: 1000, ... }
 * ```
 */
export function extractionOutcome(result: ExtractionResult, secret: string, space: SecretSpace): ExtractionOutcome {
  const sizes = positionSizes(space);
  const L = sizes.length;
  let treeQueries = 0;
  for (let k = 1; k < L; k++) treeQueries += productOfSizes(sizes.slice(0, k));
  const base = { spaceSize: productOfSizes(sizes), treeQueries };
  const i = result.candidates.findIndex((c) => c.secret === secret);
  return i < 0
    ? { found: false, queries: result.queries, ...base }
    : { found: true, position: i + 1, queries: result.candidates[i]!.queries, ...base };
}
