import { InvalidArgumentError } from '../util/errors.js';
/**
 * One document of a corpus: one file of a corpus folder (one mail of a mail corpus). Documents
 * are the building blocks of the privacy units 'document' and 'user'.
 */
export interface CorpusDocument {
  /** Stable id: the file's path relative to the corpus root (or 'brown:<file id>'). */
  readonly id: string;
  /**
   * Key of the person the document belongs to (for mail: the sender address of the `From:`
   * header, lowercased); undefined when the corpus does not say.
   */
  readonly user?: string;
  /** The document's non-empty lines, in order (the corpus's `lines` are these, concatenated). */
  readonly lines: readonly string[];
}

/** A corpus: plain text, one sentence (or source line) per entry, no empty entries. */
export interface Corpus {
  /** Where the text came from: 'brown' or the user's path. */
  readonly source: string;
  /** Non-empty lines of text without newline characters. */
  readonly lines: string[];
  /** Total number of characters (UTF-16 code units) over all lines, newlines not counted. */
  readonly chars: number;
  /**
   * The lines grouped by document, in the order of `lines` (present for folder, file and mail
   * corpora; a single file is one document).
   */
  readonly documents?: readonly CorpusDocument[];
}

/** Options shared by the corpus loaders. */
export interface CorpusLimit {
  /**
   * Stop once this many characters (newlines not counted) are collected; the line that would
   * cross the limit is left out. Undefined or Infinity keeps everything. Must be > 0.
   */
  maxChars?: number;
}

/** Adds lines until the character budget is used up; tells the caller when to stop reading. */
export class LineCollector {
  readonly lines: string[] = [];
  chars = 0;
  full = false;
  constructor(private readonly maxChars: number = Infinity) {
    if (!(maxChars > 0)) throw new InvalidArgumentError(`maxChars must be > 0, got ${maxChars}`);
  }
  /** Add a line (skipped when blank); returns false once the budget is exhausted. */
  add(line: string): boolean {
    if (this.full) return false;
    const trimmed = line.trim();
    if (trimmed === '') return true;
    if (this.chars + trimmed.length > this.maxChars) {
      this.full = true;
      return false;
    }
    this.lines.push(trimmed);
    this.chars += trimmed.length;
    return true;
  }
}
