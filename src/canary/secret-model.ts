import type { Scorer, StepResult } from './scorer.js';
import { InvalidArgumentError } from '../util/errors.js';

/** Bits per nat: a log-probability in nats times this is in bits. */
export const BITS_PER_NAT = 1 / Math.LN2;

/** Default number of rows per scorer.advance call. */
export const DEFAULT_BATCH_ROWS = 4096;

/**
 * A scorer positioned after a secret's fixed prefix: the prefix has been run once and its
 * state is reused by every scoring, enumeration and extraction. A secret is one symbol index
 * per position; position i maps symbol k to token id positionIds[i][k] (a literal separator is
 * a position with one symbol).
 */
export interface SpaceModel {
  readonly scorer: Scorer;
  /** State and next-token log-probabilities (nats) after the prefix; one row. */
  readonly start: StepResult;
  /** positionIds[i][k] = token id of symbol k at position i; every alphabet is non-empty. */
  readonly positionIds: readonly Int32Array[];
  /** Secret length in positions (= tokens). */
  readonly length: number;
  /** Number of rows passed to scorer.advance so far (model queries; the prefix run is not counted). */
  rowsAdvanced: number;
}

/**
 * A space model of a single-slot canary: every position has the same alphabet, whose token
 * ids are `symbolIds` (symbol k = token symbolIds[k]).
 */
export interface SecretModel extends SpaceModel {
  /** symbolIds[k] = token id of alphabet symbol k. */
  readonly symbolIds: Int32Array;
}

function checkIds(scorer: Scorer, ids: Int32Array): void {
  if (ids.length === 0) throw new InvalidArgumentError('a secret position needs at least one symbol');
  for (const id of ids) {
    if (!Number.isInteger(id) || id < 0 || id >= scorer.vocabSize) throw new InvalidArgumentError(`symbol token id ${id} outside the scorer's vocabulary`);
  }
}

/**
 * Run the prefix once and return a model positioned there. Call closeSecretModel when done.
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
 * import { closeSecretModel, scoreSecrets } from 'dp-canary/canary';
 * (await scoreSecrets(model, Int32Array.of(7, 7, 7)))[0]; // 3 bits: Pr = 1/8
 * closeSecretModel(model);
 * ```
 */
export async function openSecretModel(
  scorer: Scorer,
  prefixIds: readonly number[],
  symbolIds: Int32Array,
  length: number,
): Promise<SecretModel> {
  checkIds(scorer, symbolIds);
  if (!Number.isSafeInteger(length) || length < 1) throw new InvalidArgumentError(`secret length must be >= 1, got ${length}`);
  const start = await scorer.start(fitPrefix(scorer, prefixIds, length));
  const positionIds = new Array<Int32Array>(length).fill(symbolIds);
  return { scorer, start, symbolIds, positionIds, length, rowsAdvanced: 0 };
}

/**
 * The prefix a secret of `length` tokens is scored after: all of it, or, for a scorer with a
 * maxLength, its last maxLength - length + 1 tokens (the last secret token is predicted from a
 * state holding the prefix and the other length - 1). InvalidArgumentError when even the secret
 * alone does not fit.
 */
export function fitPrefix(scorer: Scorer, prefixIds: readonly number[], length: number): readonly number[] {
  if (scorer.maxLength === undefined) return prefixIds;
  const room = scorer.maxLength - length + 1;
  if (room < 0) throw new InvalidArgumentError(`a secret of ${length} tokens does not fit the model's context of ${scorer.maxLength} tokens`);
  return prefixIds.length > room ? prefixIds.slice(prefixIds.length - room) : prefixIds;
}

/**
 * Run the prefix once and return a model of a space with one alphabet per position (a
 * multi-slot secret). A prefix longer than the scorer's context keeps its last tokens (fitPrefix).
 * Call closeSecretModel when done.
 */
export async function openSpaceModel(scorer: Scorer, prefixIds: readonly number[], positionIds: readonly Int32Array[]): Promise<SpaceModel> {
  if (positionIds.length < 1) throw new InvalidArgumentError('a secret needs at least one position');
  for (const ids of positionIds) checkIds(scorer, ids);
  const start = await scorer.start(fitPrefix(scorer, prefixIds, positionIds.length));
  return { scorer, start, positionIds: [...positionIds], length: positionIds.length, rowsAdvanced: 0 };
}

/**
 * Free the prefix state.
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
 * import { closeSecretModel } from 'dp-canary/canary';
 * closeSecretModel(model); // frees the prefix's state
 * ```
 */
export function closeSecretModel(model: SpaceModel): void {
  model.scorer.dispose(model.start.state);
}

/** scorer.advance that counts rows. */
export async function advanceCounted(
  model: SpaceModel,
  state: StepResult['state'],
  parents: Int32Array,
  tokens: Int32Array,
): Promise<StepResult> {
  model.rowsAdvanced += parents.length;
  return model.scorer.advance(state, parents, tokens);
}

/**
 * Log-perplexity in bits of each secret given the prefix:
 * sum_i -log2 Pr(secret_i | prefix, secret_<i). `secrets` is row-major [n x length] symbol
 * indices (position i's index into positionIds[i]). Scored in chunks of `batchRows` secrets,
 * each advanced length-1 times from the shared prefix state (the last symbol needs no state,
 * only the previous step's log-probs).
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
 * import { scoreSecrets } from 'dp-canary/canary';
 * await scoreSecrets(model, Int32Array.of(7, 7, 7, 0, 1, 2)); // log-perplexities in bits: [3, about 12.5]
 * ```
 */
export async function scoreSecrets(
  model: SpaceModel,
  secrets: Int32Array,
  opts: { batchRows?: number } = {},
): Promise<Float64Array> {
  const L = model.length;
  if (secrets.length % L !== 0) throw new InvalidArgumentError('secrets must hold n * length symbols');
  const n = secrets.length / L;
  const { scorer, positionIds, start } = model;
  for (let i = 0; i < secrets.length; i++) {
    const k = secrets[i]!;
    const A = positionIds[i % L]!.length;
    if (!(k >= 0 && k < A)) throw new InvalidArgumentError(`secret symbol index ${k} outside [0, ${A})`);
  }
  const batch = Math.max(1, opts.batchRows ?? DEFAULT_BATCH_ROWS);
  const out = new Float64Array(n);
  const V = scorer.vocabSize;
  for (let lo = 0; lo < n; lo += batch) {
    const m = Math.min(batch, n - lo);
    const acc = new Float64Array(m);
    let state = start.state;
    let logProbs = start.logProbs;
    let parents = new Int32Array(m); // all rows start from the single prefix state
    try {
      for (let pos = 0; pos < L; pos++) {
        const tokens = new Int32Array(m);
        const ids = positionIds[pos]!;
        for (let r = 0; r < m; r++) {
          const tok = ids[secrets[(lo + r) * L + pos]!]!;
          tokens[r] = tok;
          acc[r] = acc[r]! - logProbs[parents[r]! * V + tok]! * BITS_PER_NAT;
        }
        if (pos === L - 1) break;
        const next = await advanceCounted(model, state, parents, tokens);
        if (state !== start.state) scorer.dispose(state);
        state = next.state;
        logProbs = next.logProbs;
        if (pos === 0) parents = Int32Array.from({ length: m }, (_, r) => r);
      }
    } finally {
      if (state !== start.state) scorer.dispose(state);
    }
    out.set(acc, lo);
  }
  return out;
}

/**
 * `count` uniform secrets of R as row-major symbol indices, drawn from `random`.
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
 * import { sampleSecrets, scoreSecrets, seededRandom } from 'dp-canary/canary';
 * const references = sampleSecrets(seededRandom(1), 10, 3, 100); // 100 uniform secrets of 3 digits
 * (await scoreSecrets(model, references)).length; // 100
 * ```
 */
export function sampleSecrets(
  random: { int(n: number): number },
  alphabetSize: number,
  length: number,
  count: number,
): Int32Array {
  const out = new Int32Array(count * length);
  for (let i = 0; i < out.length; i++) out[i] = random.int(alphabetSize);
  return out;
}
