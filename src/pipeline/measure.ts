import { parseFormat, secretIndex, symbolsFromSecret, log2SpaceSize, spaceSize, type CanaryFormat } from '../canary/format.js';
import type { CanaryManifest } from '../canary/manifest.js';
import { canaryTokens } from '../canary/tokens.js';
import { closeSecretModel, openSecretModel, sampleSecrets, scoreSecrets, type SecretModel } from '../canary/secret-model.js';
import { enumerateLogPerplexities, exactExposures } from '../canary/exact.js';
import type { ExactEnumerator } from '../dpsgd/parallel/session.js';
import { interpolationExposure, extrapolationExposure } from '../canary/estimate.js';
import { fitSkewNormal, type SkewNormal } from '../canary/skew-normal.js';
import { extractSecrets } from '../canary/extract.js';
import { newlineId } from '../data/tokenizer-json.js';
import type { Tokenizer } from '../data/tokenizer.js';
import type { LanguageModel } from '../dpsgd/model.js';
import { languageModelScorer } from '../dpsgd/scorer.js';
import { seededRandom, type RandomSource } from '../util/random.js';
import type { RunConfig } from './run-config.js';
import type { RunData } from './run-data.js';
import { concatTyped } from '../util/typed-arrays.js';

/**
 * Measuring a model's memorization of its canaries: exposure (exact, or estimated from a
 * reference sample) and extraction, at the end of a run and after each epoch. Nothing here
 * writes files (measure-run.ts does) or text for a terminal (src/cli/format.ts does).
 */

/** How a canary's exposure was computed. */
export type ExposureMethod = 'exact' | 'interpolation' | 'extrapolation';

/** Memorization measured for one canary of one run. */
export interface CanaryResult {
  /** Canary name from the manifest (e.g. "r16"). */
  name: string;
  /** Times this canary was inserted into the training text (before sanitisation). */
  insertions: number;
  /** Log-perplexity of the canary's secret in bits (-sum log2 Pr of the secret's tokens). */
  logPerplexityBits: number;
  /** Exposure in bits, in [0, log2 |R|] (about 1.44 bits for a canary never seen). */
  exposure: number;
  exposureMethod: ExposureMethod;
  /** True when the extraction search recovered the secret. */
  extracted: boolean;
  /** Rank (1 = first) at which the search produced the secret, when extracted. */
  extractionRank?: number;
  /** Model queries (scorer.advance rows) the extraction search used. */
  extractionQueries: number;
}

/** Default largest |R| enumerated exactly (10^7 candidates take minutes on 2 cores). */
export const RUN_MAX_EXACT_SPACE = 1e7;

/** How memorization is measured. */
export interface MeasureOptions {
  /** Largest |R| scored exactly; above it exposure is estimated from `references` samples. */
  maxExactSpace?: number;
  /** Random members of R scored for estimation (and as the reference sample). */
  references?: number;
  /** Model queries (rows advanced) the extraction search may spend; 0 skips extraction. */
  extractionMaxQueries?: number;
  /**
   * An attacker's guesses: a canary counts as extracted when the search ranks its secret among
   * the first `extractionTopK` candidates (default 10), within the query budget.
   */
  extractionTopK?: number;
  /** Source of the reference sample (default: seeded, so reports are reproducible). */
  random?: RandomSource;
  log?: (message: string) => void;
  /** Enumerates R for exact exposure (for example on worker threads); default: in this thread. */
  enumerate?: ExactEnumerator;
}

/** Everything measured about a run's canaries (exposure.json). */
export interface Measurement {
  schema: 'dp-canary/exposure@1';
  format: string;
  /** log2 |R|: the largest possible exposure, bits. */
  log2R: number;
  /** 'exact' (full enumeration of R) or 'extrapolation' (skew-normal fit to a sample). */
  method: ExposureMethod;
  /** Reference sample: its size and the skew-normal fitted to its log-perplexities (bits). */
  reference: { count: number; skewNormal: SkewNormal } | null;
  /** Extraction budget (model queries) and |R| for comparison (brute force needs |R| scorings). */
  extraction: { maxQueries: number; topK: number; candidatesFound: number; queriesUsed: number } | null;
  canaries: (CanaryResult & { secret: string; rank?: number; interpolation?: number; extrapolation?: number })[];
}

interface Prepared {
  format: CanaryFormat;
  /** Token ids before the secret: a line break and the format's prefix. */
  prefix: number[];
  sm: SecretModel;
  canarySymbols: Int32Array[];
}

/**
 * The secret model of a canary format after a line break and the format's prefix, and the
 * symbols of each canary's secret (exposure canaries, or audit canaries: any format + secrets).
 */
export async function openForManifest(
  model: LanguageModel,
  tokenizer: Tokenizer,
  manifest: { readonly format: string; readonly canaries: readonly { readonly secret: string }[] },
): Promise<Prepared> {
  const format = parseFormat(manifest.format);
  const tokens = canaryTokens(format, tokenizer);
  // Canaries stand on their own lines, so the context before the prefix is a line break.
  const prefix = [newlineId(tokenizer), ...tokens.prefixIds];
  const sm = await openSecretModel(languageModelScorer(model), prefix, tokens.symbolIds, tokens.length);
  const canarySymbols = manifest.canaries.map((c) => symbolsFromSecret(format, c.secret));
  return { format, prefix, sm, canarySymbols };
}

/** Rows of secret symbols laid end to end, for scoreSecrets. */
export function concat(rows: readonly Int32Array[]): Int32Array {
  return concatTyped(rows, (n) => new Int32Array(n));
}

/**
 * Exposure of every canary of `manifest` under `model` (exact when |R| <= maxExactSpace,
 * else extrapolated from a skew-normal fit to a uniform sample of R), and one extraction
 * search (best-first over partial secrets) that serves all canaries of the format.
 */
export async function measureCanaries(
  model: LanguageModel,
  tokenizer: Tokenizer,
  manifest: CanaryManifest,
  opts: MeasureOptions = {},
): Promise<Measurement> {
  const log = opts.log ?? (() => undefined);
  const { format, prefix, sm, canarySymbols } = await openForManifest(model, tokenizer, manifest);
  try {
    const A = format.alphabet.length;
    const L = format.length;
    const log2R = log2SpaceSize(format);
    const maxExact = opts.maxExactSpace ?? RUN_MAX_EXACT_SPACE;
    const exact = spaceSize(format) <= BigInt(Math.floor(maxExact));
    const refCount = opts.references ?? 10_000;
    const canaryBits = await scoreSecrets(sm, concat(canarySymbols));
    // The reference sample is always drawn: it gives the estimated exposures beside exact ones.
    const refs = await scoreSecrets(sm, sampleSecrets(opts.random ?? seededRandom('references'), A, L, refCount));
    const fit = fitSkewNormal(refs);
    let ranks: number[] | null = null;
    let exposures: number[];
    if (exact) {
      log(`enumerating all ${spaceSize(format)} secrets for exact exposure ...`);
      const all = opts.enumerate ? await opts.enumerate(model, prefix, sm) : await enumerateLogPerplexities(sm, { maxSpace: maxExact });
      const ex = exactExposures(all, canarySymbols.map((s) => secretIndex(s, A)));
      ranks = ex.map((e) => e.rank);
      exposures = ex.map((e) => e.exposure);
    } else {
      exposures = Array.from(canaryBits, (b) => extrapolationExposure(fit, b));
    }
    const maxQueries = opts.extractionMaxQueries ?? 0;
    let extraction: Measurement['extraction'] = null;
    const found = new Map<string, { rank: number; queries: number }>();
    if (maxQueries > 0) {
      const topK = opts.extractionTopK ?? 10;
      log(`extraction: best-first search for the ${topK} most likely secrets, budget ${maxQueries} model queries ...`);
      const wanted = new Set(manifest.canaries.map((c) => c.secret));
      const res = await extractSecrets(sm, format, { maxQueries, maxCandidates: topK, stopWhenFound: wanted });
      res.candidates.forEach((c, i) => {
        if (wanted.has(c.secret) && !found.has(c.secret)) found.set(c.secret, { rank: i + 1, queries: c.queries });
      });
      extraction = { maxQueries, topK, candidatesFound: res.candidates.length, queriesUsed: res.queries };
    }
    const canaries = manifest.canaries.map((c, i) => {
      const f = found.get(c.secret);
      return {
        name: c.name,
        secret: c.secret,
        insertions: c.insertions,
        logPerplexityBits: canaryBits[i]!,
        exposure: exposures[i]!,
        exposureMethod: (exact ? 'exact' : 'extrapolation') as ExposureMethod,
        ...(ranks ? { rank: ranks[i]! } : {}),
        interpolation: interpolationExposure(refs, canaryBits[i]!),
        extrapolation: extrapolationExposure(fit, canaryBits[i]!),
        extracted: f !== undefined,
        ...(f ? { extractionRank: f.rank } : {}),
        extractionQueries: f ? f.queries : (extraction?.queriesUsed ?? 0),
      };
    });
    return {
      schema: 'dp-canary/exposure@1',
      format: manifest.format,
      log2R,
      method: exact ? 'exact' : 'extrapolation',
      reference: { count: refCount, skewNormal: fit },
      extraction,
      canaries,
    };
  } finally {
    closeSecretModel(sm);
  }
}

/** Largest |R| the per-epoch probe enumerates exactly (10^6 secrets take about 1.5 s on wasm). */
export const EPOCH_MAX_EXACT_SPACE = 1e6;

/** Exposure of every canary after one epoch, and how it was computed. */
export interface EpochExposureMeasurement {
  /** Exposure in bits by canary name, in [0, log2 |R|]. */
  exposure: Record<string, number>;
  /** 'exact' (all of R scored) or 'extrapolation' (skew-normal fit to a fixed sample of R). */
  method: ExposureMethod;
}

/** Per-epoch exposure, measured with the model's current weights each time. */
export interface EpochProbe {
  measure(): Promise<EpochExposureMeasurement>;
}

/**
 * The per-epoch probe: exact exposure when |R| <= EPOCH_MAX_EXACT_SPACE (so it is not capped
 * at log2 of a reference count), else extrapolated from a skew-normal fitted to a fixed sample
 * of min(references, 2000) secrets.
 */
export async function epochExposureProbe(model: LanguageModel, data: RunData, config: RunConfig, enumerate?: ExactEnumerator | null): Promise<EpochProbe> {
  const A = data.format.alphabet.length;
  const L = data.format.length;
  const exact = spaceSize(data.format) <= BigInt(EPOCH_MAX_EXACT_SPACE);
  const n = Math.min(config.exposureReferences, 2000);
  const refSymbols = exact ? null : sampleSecrets(seededRandom(`epoch-references/${config.dataSeed}`), A, L, n);
  const canaryRows = data.manifest.canaries.map((c) => symbolsFromSecret(data.format, c.secret));
  const canarySymbols = concat(canaryRows);
  return {
    async measure() {
      // Weights change between epochs, so the prefix state is recomputed each time.
      const { prefix, sm } = await openForManifest(model, data.tokenizer, data.manifest);
      try {
        let values: number[];
        if (refSymbols === null) {
          const all = enumerate ? await enumerate(model, prefix, sm) : await enumerateLogPerplexities(sm, { maxSpace: EPOCH_MAX_EXACT_SPACE });
          values = exactExposures(all, canaryRows.map((s) => secretIndex(s, A))).map((e) => e.exposure);
        } else {
          const fit = fitSkewNormal(await scoreSecrets(sm, refSymbols));
          const bits = await scoreSecrets(sm, canarySymbols);
          values = Array.from(bits, (b) => extrapolationExposure(fit, b));
        }
        return {
          exposure: Object.fromEntries(data.manifest.canaries.map((c, i) => [c.name, values[i]!])),
          method: refSymbols === null ? 'exact' : 'extrapolation',
        };
      } finally {
        closeSecretModel(sm);
      }
    },
  };
}
