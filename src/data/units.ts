/**
 * Privacy units in the data: which lines of a corpus belong together. DP-SGD bounds the
 * influence of one unit: a 'window' (seq-length + 1 tokens cut from the token stream, the
 * default), a 'document' (one file of a corpus folder, one mail) or a 'user' (all documents
 * of one user key). For 'document' and 'user' the training windows are cut from each unit's
 * own token stream, so no window spans two units.
 */
import type { RandomSource } from '../util/random.js';
import { InvalidArgumentError } from '../util/errors.js';
import type { Corpus, CorpusDocument } from './corpus.js';
import { validationMask } from './split.js';

/** The privacy units, defined once (the CLI flags, the study settings and the checks derive from it). */
export const PRIVACY_UNITS = ['window', 'document', 'user'] as const;

export type PrivacyUnit = (typeof PRIVACY_UNITS)[number];

/** Units made of documents: the ways a corpus's lines can be grouped. */
export type DocumentUnit = Exclude<PrivacyUnit, 'window'>;

/** True when `x` is one of {@link PRIVACY_UNITS}. */
export function isPrivacyUnit(x: unknown): x is PrivacyUnit {
  return (PRIVACY_UNITS as readonly unknown[]).includes(x);
}

/** InvalidArgumentError unless `x` is a privacy unit; `what` names the setting (e.g. '--privacy-unit'). */
export function checkPrivacyUnit(x: unknown, what: string): PrivacyUnit {
  if (!isPrivacyUnit(x)) throw new InvalidArgumentError(`${what} must be ${PRIVACY_UNITS.join(', ')}; got '${String(x)}'`);
  return x;
}

/** One unit of text: a document, or all documents of one user. */
export interface TextUnit {
  /** The document id, or the user key. */
  readonly key: string;
  /** Ids of its documents, in corpus order. */
  readonly documents: readonly string[];
  /** Its lines: those of its documents, in corpus order. */
  readonly lines: string[];
}

/**
 * The corpus's documents; InvalidArgumentError when it has none (units need a corpus that
 * says which lines belong together: a folder of files, a file, a mail corpus, Brown).
 */
export function documentsOf(corpus: Corpus): readonly CorpusDocument[] {
  const docs = corpus.documents;
  if (!docs || docs.length === 0) throw new InvalidArgumentError(`corpus '${corpus.source}' has no documents, so it has no privacy units larger than a window`);
  return docs;
}

/**
 * Groups documents into units: one per document, or one per user key (in the order of each
 * user's first document). For 'user', a document without a user is an InvalidArgumentError
 * naming it (give --user-map or --user-pattern, or use a corpus that records senders).
 */
export function groupIntoUnits(documents: readonly CorpusDocument[], unit: DocumentUnit): TextUnit[] {
  if (unit === 'document') return documents.map((d) => ({ key: d.id, documents: [d.id], lines: [...d.lines] }));
  const byUser = new Map<string, { documents: string[]; lines: string[] }>();
  for (const d of documents) {
    if (d.user === undefined) {
      throw new InvalidArgumentError(`document '${d.id}' has no user: --privacy-unit user needs one for every document (give --user-map FILE or --user-pattern REGEX)`);
    }
    let u = byUser.get(d.user);
    if (!u) byUser.set(d.user, (u = { documents: [], lines: [] }));
    u.documents.push(d.id);
    u.lines.push(...d.lines);
  }
  return [...byUser].map(([key, u]) => ({ key, ...u }));
}

/**
 * Splits whole documents into training and validation (validationMask's rule and draws over
 * documents): a held-out document is never trained on. With user units a user's other
 * documents may be in training; validation then measures new documents, not new users.
 */
export function splitDocuments(documents: readonly CorpusDocument[], fraction: number, rng: RandomSource): { train: CorpusDocument[]; validation: CorpusDocument[] } {
  const isVal = validationMask(documents.length, fraction, rng, 'documents (units are split by document)');
  const train: CorpusDocument[] = [];
  const validation: CorpusDocument[] = [];
  documents.forEach((d, i) => (isVal[i] ? validation : train).push(d));
  return { train, validation };
}
