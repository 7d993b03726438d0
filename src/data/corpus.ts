/** A corpus: plain text, one sentence (or source line) per entry, no empty entries. */
export interface Corpus {
  /** Where the text came from: 'brown' or the user's path. */
  readonly source: string;
  /** Non-empty lines of text without newline characters. */
  readonly lines: string[];
  /** Total number of characters (UTF-16 code units) over all lines, newlines not counted. */
  readonly chars: number;
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
    if (!(maxChars > 0)) throw new RangeError(`maxChars must be > 0, got ${maxChars}`);
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
