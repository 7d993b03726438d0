/**
 * The natural-secret scanner: runs detectors over a corpus one document at a time and keeps
 * only what it finds (each distinct secret with every occurrence and the text before it), so
 * a corpus of any size streams through it.
 */
import { InvalidArgumentError } from '../../util/errors.js';
import type { StreamedDocument } from '../corpus-stream.js';
import type { SecretDetector } from './detector.js';
import { SECRET_KINDS, type NaturalSecret, type SecretKind, type SecretOccurrence } from './types.js';

/** Default length of the context kept before each occurrence, in characters. */
export const DEFAULT_CONTEXT_CHARS = 100;

/** Per-kind totals of a scan. */
export interface SecretKindSummary {
  readonly kind: SecretKind;
  /** Distinct secrets (distinct exact strings). */
  readonly distinct: number;
  readonly occurrences: number;
  /** Secrets every occurrence of which is in one user's documents (0 when users are unknown). */
  readonly oneUser: number;
  /** Secrets every occurrence of which is in one document. */
  readonly oneDocument: number;
}

/** What a scan found, and how much it read. */
export interface SecretScan {
  readonly documents: number;
  /** Distinct users over all documents read (0 when the corpus has none). */
  readonly users: number;
  readonly lines: number;
  /** Characters read (newlines not counted). */
  readonly chars: number;
  /** The secrets with at least the asked number of occurrences: by kind (SECRET_KINDS order), most occurrences first, then by text. */
  readonly secrets: NaturalSecret[];
  /** One entry per kind scanned for, in SECRET_KINDS order. */
  readonly summary: SecretKindSummary[];
}

interface Found {
  kind: SecretKind;
  text: string;
  format: string;
  spaceBits: number;
  occurrences: SecretOccurrence[];
}

/** Scans documents fed one at a time; call {@link result} at the end. */
export class SecretScanner {
  private readonly found = new Map<string, Found>();
  private readonly contextChars: number;
  private readonly users = new Set<string>();
  private documents = 0;
  private lines = 0;
  private chars = 0;

  /**
   * @param detectors what to look for (at least one)
   * @param contextChars characters of text kept before each occurrence (integer >= 0, default 100)
   */
  constructor(
    private readonly detectors: readonly SecretDetector[],
    contextChars: number = DEFAULT_CONTEXT_CHARS,
  ) {
    if (detectors.length === 0) throw new InvalidArgumentError('the secret scanner needs at least one kind or format to look for');
    if (!Number.isSafeInteger(contextChars) || contextChars < 0) throw new InvalidArgumentError(`contextChars must be an integer >= 0, got ${contextChars}`);
    this.contextChars = contextChars;
  }

  /** Scan one document; only its findings are kept. */
  addDocument(doc: StreamedDocument): void {
    this.documents++;
    if (doc.user !== undefined) this.users.add(doc.user);
    let tail = ''; // the last contextChars characters of the document so far
    let lineNo = 0;
    for (const line of doc.lines) {
      const before = lineNo === 0 ? '' : `${tail}\n`;
      for (const detector of this.detectors) {
        for (const m of detector.find(line)) {
          const context = this.contextChars === 0 ? '' : (before + line.slice(0, m.index)).slice(-this.contextChars);
          this.record(detector.kind, m.text, m.format, m.spaceBits, {
            document: doc.id,
            ...(doc.user !== undefined ? { user: doc.user } : {}),
            line: lineNo,
            column: m.index,
            context,
          });
        }
      }
      tail = this.contextChars === 0 ? '' : (before + line).slice(-this.contextChars);
      lineNo++;
      this.lines++;
      this.chars += line.length;
    }
  }

  private record(kind: SecretKind, text: string, format: string, spaceBits: number, occurrence: SecretOccurrence): void {
    const key = `${kind}\u0000${format}\u0000${text}`;
    let f = this.found.get(key);
    if (f === undefined) {
      f = { kind, text, format, spaceBits, occurrences: [] };
      this.found.set(key, f);
    }
    f.occurrences.push(occurrence);
  }

  /** The secrets found so far with at least `minOccurrences` occurrences (integer >= 1), and the totals. */
  result(minOccurrences = 1): SecretScan {
    checkMinOccurrences(minOccurrences);
    const secrets: NaturalSecret[] = [];
    for (const f of this.found.values()) {
      if (f.occurrences.length < minOccurrences) continue;
      const users = new Set(f.occurrences.flatMap((o) => (o.user !== undefined ? [o.user] : [])));
      secrets.push({ ...f, occurrences: [...f.occurrences], documents: new Set(f.occurrences.map((o) => o.document)).size, users: users.size });
    }
    const order = (k: SecretKind): number => SECRET_KINDS.indexOf(k);
    secrets.sort((a, b) => order(a.kind) - order(b.kind) || b.occurrences.length - a.occurrences.length || (a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
    const kinds = SECRET_KINDS.filter((k) => this.detectors.some((d) => d.kind === k));
    const summary = kinds.map((kind) => {
      const of = secrets.filter((s) => s.kind === kind);
      return {
        kind,
        distinct: of.length,
        occurrences: of.reduce((n, s) => n + s.occurrences.length, 0),
        oneUser: of.filter((s) => s.users === 1).length,
        oneDocument: of.filter((s) => s.documents === 1).length,
      };
    });
    return { documents: this.documents, users: this.users.size, lines: this.lines, chars: this.chars, secrets, summary };
  }
}

/** Scan every document of a stream (see {@link SecretScanner}). */
export function scanSecrets(
  documents: Iterable<StreamedDocument>,
  detectors: readonly SecretDetector[],
  opts: { contextChars?: number; minOccurrences?: number } = {},
): SecretScan {
  if (opts.minOccurrences !== undefined) checkMinOccurrences(opts.minOccurrences);
  const scanner = new SecretScanner(detectors, opts.contextChars);
  for (const doc of documents) scanner.addDocument(doc);
  return scanner.result(opts.minOccurrences);
}

function checkMinOccurrences(n: number): void {
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`minOccurrences must be an integer >= 1, got ${n}`);
}
