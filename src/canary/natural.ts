import type { NaturalSecret } from '../data/secrets/types.js';
import type { Tokenizer } from '../data/tokenizer.js';
import { DpCanaryError, InvalidArgumentError } from '../util/errors.js';
import { type RandomSource, seededRandom } from '../util/random.js';
import { estimateExposures } from './estimate.js';
import { extractSecrets } from './extract.js';
import { log2SpaceSize } from './format.js';
import { type ScoringContext, type TestableSecret, prepareSecret, scoringContexts } from './natural-context.js';
import { exactRank, exactRankWithin } from './rank.js';
import type { Scorer } from './scorer.js';
import { type SpaceModel, closeSecretModel, fitPrefix, openSpaceModel, scoreSecrets } from './secret-model.js';
import { positionSizes, productOfSizes, sampleSpace, spaceCount } from './space.js';

/**
 * Exposure and extraction of a natural secret (one found in the training text, not planted)
 * in its real contexts, against the candidate space of its own format: the Secret Sharer's
 * Enron test (Carlini et al. 2019, section 8). Scorer-based: no tfjs here.
 */

/** Largest |R| ranked exactly by default; larger spaces are estimated from a reference sample. */
export const NATURAL_MAX_EXACT_SPACE = 1e7;
/** Occurrences (contexts) scored per secret by default. */
export const DEFAULT_NATURAL_CONTEXTS = 3;
/** Random members of R scored per context when exposure is estimated, by default. */
export const DEFAULT_NATURAL_REFERENCES = 2000;
/**
 * Rows the exact-rank walk may advance per context, by default, when |R| is above the exact
 * limit: a memorized secret is then ranked exactly (an estimate from a sample of R cannot see
 * far into its tail and under-reports it); a secret the walk cannot rank within it keeps the estimate.
 */
export const DEFAULT_EXACT_WALK_ROWS = 20_000;
/** A secret counts as extracted when the search ranks it among this many candidates, by default. */
export const DEFAULT_EXTRACTION_TOP_K = 10;

/** How a natural secret is measured. */
export interface NaturalExposureOptions {
  /** Largest |R| ranked exactly (every candidate scored); default NATURAL_MAX_EXACT_SPACE. */
  maxExactSpace?: number;
  /** Contexts scored: the first this many occurrences (default 3, at least 1). */
  contexts?: number;
  /** Only occurrences in these documents count (e.g. the run's training documents); default all. */
  documents?: ReadonlySet<string>;
  /** Random members of R per context for an estimated exposure (default 2000). */
  references?: number;
  /** Rows the exact-rank walk may advance per context above the exact limit (default 20000; 0: estimates only). */
  exactWalkRows?: number;
  /** Source of the reference sample; default seeded by the secret's kind and text (reproducible). */
  random?: RandomSource;
  /** The extraction attack from the best context; omitted or null: not run. */
  extraction?: { maxQueries: number; topK?: number } | null;
  /** Rows per scorer.advance call. */
  batchRows?: number;
}

/** The secret scored in one context. */
export interface NaturalContextExposure extends Omit<ScoringContext, 'prefixIds'> {
  /** Log-perplexity of the secret in bits (-sum log2 Pr of its tokens after this context). */
  logPerplexityBits: number;
  /** Exposure in bits, in [0, log2 |R|] when exact. */
  exposure: number;
  /** 'exact' (rank known), else the estimate used: 'extrapolation' (skew-normal fit) or 'interpolation' (no fit possible). */
  method: 'exact' | 'extrapolation' | 'interpolation';
  /** Exact rank in R (1 = most likely; ties count against the secret), when exact. */
  rank?: number;
  /** The two estimates from the reference sample, when |R| is above the exact limit (extrapolation null when no skew-normal fits). */
  interpolation?: number;
  extrapolation?: number | null;
}

/** The extraction attack's outcome for one secret. */
export interface NaturalExtraction {
  /** True when the search ranked the secret among the first `topK` candidates within the budget. */
  extracted: boolean;
  /** 1-based position among the candidates, when found. */
  rank?: number;
  /** Model queries when it was found, else all queries used. */
  queries: number;
  maxQueries: number;
  topK: number;
  /** Index into `contexts` of the context the search started from (the best one). */
  context: number;
  stopped: 'found' | 'candidates' | 'budget' | 'exhausted';
}

/** A testable secret's measurement. */
export interface NaturalSecretExposure {
  testable: true;
  /** log2 |R| of the secret's format, bits. */
  log2R: number;
  /** How the reported (best context's) exposure was computed; estimated = not exact. */
  method: 'exact' | 'extrapolation' | 'interpolation';
  estimated: boolean;
  /** Reference sample size per context when |R| is above the exact limit. */
  references: number | null;
  /** The largest exposure over the contexts (the attacker picks the best context), bits. */
  exposure: number;
  /** Index into `contexts` of the context with that exposure. */
  bestContext: number;
  contexts: NaturalContextExposure[];
  extraction: NaturalExtraction | null;
  /** Why an estimate is weak (from estimateExposures), or context characters the tokenizer cannot represent. */
  notes: string[];
}

/** A secret that could not be measured, and why. */
export interface NaturalSecretUntestable {
  testable: false;
  reason: string;
}

export type NaturalSecretResult = NaturalSecretExposure | NaturalSecretUntestable;

function checkOptions(o: NaturalExposureOptions): void {
  const positiveInt = (name: string, v: number | undefined): void => {
    if (v !== undefined && !(Number.isSafeInteger(v) && v >= 1)) throw new InvalidArgumentError(`${name} must be an integer >= 1, got ${v}`);
  };
  positiveInt('the number of contexts', o.contexts);
  positiveInt('the number of references', o.references);
  if (o.extraction) {
    positiveInt('the extraction query budget', o.extraction.maxQueries);
    positiveInt('the extraction top k', o.extraction.topK);
  }
  if (o.maxExactSpace !== undefined && !(o.maxExactSpace >= 0)) throw new InvalidArgumentError(`the exact-space limit must be >= 0, got ${o.maxExactSpace}`);
  if (o.exactWalkRows !== undefined && !(Number.isSafeInteger(o.exactWalkRows) && o.exactWalkRows >= 0)) {
    throw new InvalidArgumentError(`the exact-walk row budget must be an integer >= 0, got ${o.exactWalkRows}`);
  }
}

async function withModel<T>(scorer: Scorer, ctx: ScoringContext, prepared: TestableSecret, run: (m: SpaceModel) => Promise<T>): Promise<T> {
  const model = await openSpaceModel(scorer, ctx.prefixIds, prepared.tokens.positionIds);
  try {
    return await run(model);
  } finally {
    closeSecretModel(model);
  }
}

/**
 * Exposure of a natural secret in the contexts of its first occurrences, against every filling
 * of its own format, and (when asked) the extraction search from the best context. Exact rank
 * when |R| <= maxExactSpace (a pruned walk of the tree of candidates, exactRank); above it,
 * estimated from the same uniform sample of R scored in each context (skew-normal
 * extrapolation; interpolation when no fit is possible) and marked as estimated, unless a walk
 * of at most exactWalkRows rows ranks the secret exactly (a memorized one). A secret the tokenizer cannot represent, or with no occurrence in `documents`, is
 * returned as not testable with the reason.
 *
 * ```ts
 * import { measureNaturalSecret, type Scorer } from 'dp-canary/canary';
 * // A character model that knows nothing (uniform over its 38 symbols) and a tokenizer for it.
 * const chars = ' -0123456789abcdefghijklmnopqrstuvwxyz';
 * const V = chars.length;
 * const rows = (n: number): Float32Array => new Float32Array(n * V).fill(-Math.log(V));
 * const scorer: Scorer = {
 *   vocabSize: V,
 *   start: async () => ({ state: { size: 1 }, logProbs: rows(1) }),
 *   advance: async (_state, parents) => ({ state: { size: parents.length }, logProbs: rows(parents.length) }),
 *   dispose: () => {},
 * };
 * const tokenizer = {
 *   kind: 'char' as const,
 *   vocabSize: V,
 *   encode: (text: string) => [...text].map((c) => chars.indexOf(c)),
 *   decode: (ids: readonly number[]) => ids.map((i) => chars[i]).join(''),
 *   idOf: (c: string) => (chars.includes(c) ? chars.indexOf(c) : undefined),
 *   toJSON: () => ({ chars }),
 * };
 * // A secret as `dp-canary secrets` finds it: its text, its format (the candidate space) and where it occurs.
 * const secret = {
 *   kind: 'custom' as const,
 *   text: '55-12',
 *   format: '{digits:2}-{digits:2}',
 *   spaceBits: Math.log2(1e4),
 *   occurrences: [{ document: 'mail-1', line: 0, column: 8, context: 'call me ' }],
 *   documents: 1,
 *   users: 0,
 * };
 * const result = await measureNaturalSecret(scorer, tokenizer, secret);
 * if (result.testable) result.exposure; // 0 bits: every candidate ties with it
 * ```
 */
export async function measureNaturalSecret(
  scorer: Scorer,
  tokenizer: Tokenizer,
  secret: NaturalSecret,
  opts: NaturalExposureOptions = {},
): Promise<NaturalSecretResult> {
  checkOptions(opts);
  const prepared = prepareSecret(secret, tokenizer);
  if (!prepared.testable) return prepared;
  let contexts: ScoringContext[];
  try {
    contexts = scoringContexts(secret, prepared, tokenizer, opts.contexts ?? DEFAULT_NATURAL_CONTEXTS, opts.documents);
  } catch (err) {
    if (err instanceof DpCanaryError) return { testable: false, reason: `in the context of an occurrence: ${err.message}` };
    throw err;
  }
  if (contexts.length === 0) {
    return { testable: false, reason: opts.documents ? 'none of its occurrences is in the documents measured (the training documents)' : 'it has no occurrences' };
  }
  const sizes = positionSizes(prepared.tokens.space);
  const exact = spaceCount(prepared.tokens.space) <= BigInt(Math.floor(opts.maxExactSpace ?? NATURAL_MAX_EXACT_SPACE));
  const refCount = opts.references ?? DEFAULT_NATURAL_REFERENCES;
  const refs = exact ? null : sampleSpace(opts.random ?? seededRandom('natural-references').fork(`${secret.kind}:${secret.text}`), sizes, refCount);
  const walkRows = opts.exactWalkRows ?? DEFAULT_EXACT_WALK_ROWS;
  const spaceSize = productOfSizes(sizes);
  const maxAlphabet = Math.max(...sizes);
  const batch = opts.batchRows !== undefined ? { batchRows: opts.batchRows } : {};
  const notes = new Set<string>();
  const results: NaturalContextExposure[] = [];
  for (const ctx of contexts) {
    const { prefixIds: _ids, ...where } = ctx;
    if (ctx.unknownTokens > 0) notes.add("some context characters are outside the tokenizer's vocabulary and were scored as its unknown token");
    if (fitPrefix(scorer, ctx.prefixIds, sizes.length).length < ctx.prefixIds.length) {
      notes.add(`contexts longer than the model's context (${scorer.maxLength ?? 0} tokens) were cut to their last tokens`);
    }
    results.push(
      await withModel(scorer, ctx, prepared, async (model): Promise<NaturalContextExposure> => {
        if (refs === null) {
          const ex = await exactRank(model, prepared.symbols, batch);
          if (ex.fullEnumeration) notes.add('the model gave a log-probability above 0, so the exact rank came from scoring every candidate');
          return { ...where, method: 'exact', logPerplexityBits: ex.logPerplexityBits, exposure: ex.exposure, rank: ex.rank };
        }
        const refBits = await scoreSecrets(model, refs, batch);
        const [bits] = await scoreSecrets(model, prepared.symbols, batch);
        const est = estimateExposures({ secret: [bits!] }, refBits);
        const e = est.exposures.secret!;
        const estimates = { interpolation: e.interpolation[0]!, extrapolation: e.extrapolation ? e.extrapolation[0]! : null };
        // A likely secret is ranked exactly by a short walk; the estimates stay beside it. The
        // walk is tried only when the sample puts the rank within its reach (each row it advances
        // yields at most max_i A_i candidates; 10x slack for the sample's error).
        let below = 0;
        for (const b of refBits) if (b <= bits!) below++;
        const reachable = (spaceSize * below) / refCount <= 10 * walkRows * maxAlphabet;
        const ex = walkRows > 0 && reachable ? await exactRankWithin(model, prepared.symbols, walkRows, batch) : null;
        if (ex) return { ...where, method: 'exact', logPerplexityBits: ex.logPerplexityBits, exposure: ex.exposure, rank: ex.rank, ...estimates };
        if (est.warning) notes.add(est.warning);
        const method = estimates.extrapolation === null ? 'interpolation' : 'extrapolation';
        return { ...where, method, logPerplexityBits: bits!, exposure: estimates.extrapolation ?? estimates.interpolation, ...estimates };
      }),
    );
  }
  let best = 0;
  results.forEach((r, i) => {
    if (r.exposure > results[best]!.exposure) best = i;
  });
  const extraction = opts.extraction ? await extract(scorer, contexts[best]!, best, prepared, opts.extraction) : null;
  return {
    testable: true,
    log2R: log2SpaceSize(prepared.format),
    method: results[best]!.method,
    estimated: results[best]!.method !== 'exact',
    references: refs === null ? null : refCount,
    exposure: results[best]!.exposure,
    bestContext: best,
    contexts: results,
    extraction,
    notes: [...notes],
  };
}

/** The best-first search from one context; extracted = the secret among the first topK candidates. */
async function extract(
  scorer: Scorer,
  ctx: ScoringContext,
  index: number,
  prepared: TestableSecret,
  o: { maxQueries: number; topK?: number },
): Promise<NaturalExtraction> {
  const topK = o.topK ?? DEFAULT_EXTRACTION_TOP_K;
  return withModel(scorer, ctx, prepared, async (model) => {
    const res = await extractSecrets(model, prepared.tokens.space, {
      maxQueries: o.maxQueries,
      maxCandidates: topK,
      stopWhenFound: new Set([prepared.secretText]),
    });
    const i = res.candidates.findIndex((c) => c.secret === prepared.secretText);
    return {
      extracted: i >= 0,
      ...(i >= 0 ? { rank: i + 1 } : {}),
      queries: i >= 0 ? res.candidates[i]!.queries : res.queries,
      maxQueries: o.maxQueries,
      topK,
      context: index,
      stopped: res.stopped,
    };
  });
}
