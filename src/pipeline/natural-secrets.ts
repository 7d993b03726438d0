import {
  DEFAULT_EXACT_WALK_ROWS,
  DEFAULT_EXTRACTION_TOP_K,
  DEFAULT_NATURAL_CONTEXTS,
  DEFAULT_NATURAL_REFERENCES,
  NATURAL_MAX_EXACT_SPACE,
  type NaturalContextExposure,
  measureNaturalSecret,
} from '../canary/natural.js';
import type { NaturalSecret, SecretKind } from '../data/secrets/types.js';
import { initBackend, type BackendName } from '../dpsgd/backend.js';
import { languageModelScorer } from '../dpsgd/scorer.js';
import type { LanguageModel } from '../dpsgd/model.js';
import type { Tokenizer } from '../data/tokenizer.js';
import { InvalidArgumentError } from '../util/errors.js';
import { type RandomSource, seededRandom } from '../util/random.js';
import { type KindSummary, summarizeNaturalSecrets } from './natural-summary.js';
import { loadRun } from './run-folder.js';

/**
 * The natural-secret test of a trained run: every natural secret of its training text (from
 * `dp-canary secrets`) scored in its real contexts against the candidate space of its own
 * format, and searched for with the extraction attack. Returns data; the CLI prints it.
 */

/** One secret's result (natural-exposure.json). */
export interface NaturalSecretRecord {
  kind: SecretKind;
  text: string;
  format: string;
  /** Occurrences, distinct documents and distinct users in the scanned corpus (users 0: unknown). */
  occurrences: number;
  documents: number;
  users: number;
  /** log2 |R| of its format, bits. */
  spaceBits: number;
  testable: boolean;
  /** Why it could not be measured (only when not testable). */
  reason?: string;
  /** Largest exposure over the contexts scored, bits (null when not testable). */
  exposure: number | null;
  /** How the reported exposure (the best context's) was computed: 'exact', 'extrapolation' or 'interpolation' (null when not testable). */
  method: 'exact' | 'extrapolation' | 'interpolation' | null;
  estimated: boolean;
  /** The context with the largest exposure (index into `contexts`), and every context scored. */
  bestContext: number | null;
  contexts: NaturalContextExposure[];
  /** Extracted: the extraction search from the best context ranked it among the first topK candidates. */
  extracted: boolean;
  extractionRank: number | null;
  extractionQueries: number | null;
  notes: string[];
  /** Wall-clock seconds this secret took. */
  seconds: number;
}

/** Settings of a natural-secret test. */
export interface NaturalSecretsOptions {
  /** Only these kinds (default all). */
  kinds?: readonly SecretKind[];
  /** Largest |R| ranked exactly (default 10^7). */
  maxExactSpace?: number;
  /** Occurrences scored per secret (default 3). */
  contexts?: number;
  /** Reference sample per context when estimated (default 2000). */
  references?: number;
  /** Rows the exact-rank walk may advance per context above the exact limit (default 20000; 0: estimates only). */
  exactWalkRows?: number;
  /** Extraction: top k (default 10) and query budget (default: the run's extractionMaxQueries; 0 skips extraction). */
  extractTop?: number;
  maxQueries?: number;
  /** Only occurrences in these documents count (the run's training documents, when known). */
  documents?: ReadonlySet<string>;
  /** Reference sample source: forked per secret (default seeded, reproducible). */
  random?: RandomSource;
  backend?: BackendName;
  /** Called after each secret with its record. */
  onSecret?: (record: NaturalSecretRecord, done: number, total: number) => void;
}

/** Everything measured (natural-exposure.json). */
export interface NaturalSecretsReport {
  schema: 'dp-canary/natural-exposure@1';
  run: string;
  tokenizer: 'char' | 'word';
  settings: {
    kinds: SecretKind[] | null;
    maxExactSpace: number;
    contexts: number;
    references: number;
    exactWalkRows: number;
    extractTop: number;
    maxQueries: number;
  };
  secrets: NaturalSecretRecord[];
  summary: KindSummary[];
}

/**
 * Measure every natural secret (of the kinds asked) against the model of the run folder `dir`.
 * Secrets come back in input order; the not testable ones with their reason.
 */
export async function measureNaturalSecretsOfRun(dir: string, secrets: readonly NaturalSecret[], opts: NaturalSecretsOptions = {}): Promise<NaturalSecretsReport> {
  if (opts.kinds && opts.kinds.length === 0) throw new InvalidArgumentError('the list of secret kinds is empty');
  await initBackend(opts.backend);
  const run = loadRun(dir);
  try {
    const maxQueries = opts.maxQueries ?? run.record.config.extractionMaxQueries;
    return { run: dir, ...(await measureNaturalSecrets(run.model, run.tokenizer, secrets, { ...opts, maxQueries })) };
  } finally {
    run.model.dispose();
  }
}

/**
 * The same test against a model in memory (a study point right after training): every secret
 * of the kinds asked, in input order. `opts.maxQueries` defaults to 0 (no extraction) here.
 */
export async function measureNaturalSecrets(
  model: LanguageModel,
  tokenizer: Tokenizer,
  secrets: readonly NaturalSecret[],
  opts: NaturalSecretsOptions = {},
): Promise<Omit<NaturalSecretsReport, 'run'>> {
  if (opts.kinds && opts.kinds.length === 0) throw new InvalidArgumentError('the list of secret kinds is empty');
  const scorer = languageModelScorer(model);
  const maxQueries = opts.maxQueries ?? 0;
  const settings: NaturalSecretsReport['settings'] = {
    kinds: opts.kinds ? [...opts.kinds] : null,
    maxExactSpace: opts.maxExactSpace ?? NATURAL_MAX_EXACT_SPACE,
    contexts: opts.contexts ?? DEFAULT_NATURAL_CONTEXTS,
    references: opts.references ?? DEFAULT_NATURAL_REFERENCES,
    exactWalkRows: opts.exactWalkRows ?? DEFAULT_EXACT_WALK_ROWS,
    extractTop: opts.extractTop ?? DEFAULT_EXTRACTION_TOP_K,
    maxQueries,
  };
  const chosen = secrets.filter((s) => !opts.kinds || opts.kinds.includes(s.kind));
  const random = opts.random ?? seededRandom('natural-references');
  const records: NaturalSecretRecord[] = [];
  for (const secret of chosen) {
    const t0 = performance.now();
    const r = await measureNaturalSecret(scorer, tokenizer, secret, {
      maxExactSpace: settings.maxExactSpace,
      contexts: settings.contexts,
      references: settings.references,
      exactWalkRows: settings.exactWalkRows,
      random: random.fork(`${secret.kind}:${secret.text}`),
      extraction: maxQueries > 0 ? { maxQueries, topK: settings.extractTop } : null,
      ...(opts.documents ? { documents: opts.documents } : {}),
    });
    const base = {
      kind: secret.kind,
      text: secret.text,
      format: secret.format,
      occurrences: secret.occurrences.length,
      documents: secret.documents,
      users: secret.users,
      spaceBits: secret.spaceBits,
    };
    const seconds = (performance.now() - t0) / 1000;
    const record: NaturalSecretRecord = r.testable
      ? {
          ...base,
          spaceBits: r.log2R,
          testable: true,
          exposure: r.exposure,
          method: r.method,
          estimated: r.estimated,
          bestContext: r.bestContext,
          contexts: r.contexts,
          extracted: r.extraction?.extracted ?? false,
          extractionRank: r.extraction?.rank ?? null,
          extractionQueries: r.extraction?.queries ?? null,
          notes: r.notes,
          seconds,
        }
      : {
          ...base, testable: false, reason: r.reason, exposure: null, method: null, estimated: false, bestContext: null,
          contexts: [], extracted: false, extractionRank: null, extractionQueries: null, notes: [], seconds,
        };
    records.push(record);
    opts.onSecret?.(record, records.length, chosen.length);
  }
  return { schema: 'dp-canary/natural-exposure@1', tokenizer: tokenizer.kind, settings, secrets: records, summary: summarizeNaturalSecrets(records) };
}
