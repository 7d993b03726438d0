/**
 * The natural-secret test of one trained run, as a study point runs it: find the secrets of its
 * training documents (phone, card, SSN and IPv4 numbers, see src/data/secrets) and measure each
 * in its contexts against the model (exposure, extraction). Returns data.
 */
import { BUILTIN_DETECTORS, type BuiltinSecretKind } from '../data/secrets/kinds.js';

/** The kinds a study tests by default. */
export const DEFAULT_NATURAL_KINDS: readonly BuiltinSecretKind[] = ['phone', 'card', 'ssn'];
import { scanSecrets } from '../data/secrets/scan.js';
import type { LanguageModel } from '../dpsgd/model.js';
import { InvalidArgumentError } from '../util/errors.js';
import { seededRandom } from '../util/random.js';
import { measureNaturalSecrets, type NaturalSecretsReport } from './natural-secrets.js';
import type { RunData } from './run-data.js';

/** What a point records of each natural secret (the whole record is in the run folder). */
export interface NaturalSecretSummary {
  kind: string;
  text: string;
  /** Occurrences in the training documents, distinct documents and users holding it. */
  occurrences: number;
  documents: number;
  users: number;
  spaceBits: number;
  /** Exposure in bits (best of the contexts scored); null when the model cannot score it. */
  exposure: number | null;
  estimated: boolean;
  extracted: boolean;
}

/** Settings of {@link naturalSecretsOfRun}. */
export interface NaturalRunOptions {
  /** Extraction query budget per secret (0: no extraction). */
  maxQueries: number;
  /** Contexts scored per secret (default 1: the first occurrence) and reference sample when estimated (default 500). */
  contexts?: number;
  references?: number;
  /** Seed of the reference samples (reproducible figures). */
  seed: string;
  /**
   * Kinds looked for (default phone, card, ssn: personal numbers; the IPv4 addresses in mail
   * bodies are mostly servers') and the fewest occurrences a secret needs to be tested (default
   * 3: a secret written once or twice is rarely memorized, and each test costs seconds).
   */
  kinds?: readonly BuiltinSecretKind[];
  minOccurrences?: number;
  onSecret?: (done: number, total: number) => void;
}

/**
 * Scans the run's training documents (RunData.trainDocuments, present for runs whose data is
 * grouped by document or user) and measures every secret found against `model`.
 * InvalidArgumentError when the run has no documents.
 */
export async function naturalSecretsOfRun(model: LanguageModel, data: RunData, o: NaturalRunOptions): Promise<{ report: Omit<NaturalSecretsReport, 'run'>; summaries: NaturalSecretSummary[] }> {
  if (!data.trainDocuments) throw new InvalidArgumentError('the natural-secret test needs a corpus of documents with the data grouped by document or user (--data-unit)');
  const detectors = (o.kinds ?? DEFAULT_NATURAL_KINDS).map((k) => BUILTIN_DETECTORS[k]);
  const scan = scanSecrets(data.trainDocuments, detectors, { minOccurrences: o.minOccurrences ?? 3 });
  const report = await measureNaturalSecrets(model, data.tokenizer, scan.secrets, {
    contexts: o.contexts ?? 1,
    references: o.references ?? 500,
    maxQueries: o.maxQueries,
    random: seededRandom(o.seed),
    ...(o.onSecret ? { onSecret: (_r, done, total) => o.onSecret!(done, total) } : {}),
  });
  const summaries = report.secrets.map((r) => ({
    kind: r.kind, text: r.text, occurrences: r.occurrences, documents: r.documents, users: r.users, spaceBits: r.spaceBits,
    exposure: r.exposure, estimated: r.estimated, extracted: r.extracted,
  }));
  return { report, summaries };
}
