/**
 * Data of runs whose text is grouped into units (documents or users): the split by document,
 * one token stream and one set of windows per unit, every copy of a canary in one unit; and,
 * for window runs over one token stream, which document or user holds the most windows.
 */
import { insertCanariesInUnits } from '../canary/insert-units.js';
import type { CanaryFormat } from '../canary/format.js';
import type { CanaryManifest } from '../canary/manifest.js';
import type { Corpus, CorpusDocument } from '../data/corpus.js';
import { canaryFormatPattern, sanitizeLines } from '../data/sanitize.js';
import { linesToTokens } from '../data/tokenizer-json.js';
import type { Tokenizer } from '../data/tokenizer.js';
import { documentsOf, groupIntoUnits, splitDocuments, type DocumentUnit } from '../data/units.js';
import { makeWindows } from '../dpsgd/data.js';
import type { Canary } from '../canary/generate.js';
import type { RandomSource } from '../util/random.js';
import type { LargestUnit } from './units.js';

/** The training windows' units. */
export interface WindowUnits {
  readonly kind: DocumentUnit;
  /** Key of each unit (user or document id) that has at least one training window. */
  readonly keys: string[];
  /** Unit index (into keys) of each training window; windows of a unit are consecutive. */
  readonly ids: Int32Array;
  /** Training units left out because their text is shorter than one window. */
  readonly dropped: number;
}

/**
 * A unit's windows of seqLength + 1 tokens: disjoint windows from the start of its token stream
 * and, when a remainder is left, one more window of its LAST seqLength + 1 tokens (overlapping
 * the one before), so no text of a unit longer than one window is lost (a canary copy in its
 * last line included). A stream shorter than one window gives none.
 */
export function cutUnitWindows(tokens: Int32Array, seqLength: number): Int32Array[] {
  const out = makeWindows(tokens, seqLength);
  const w = seqLength + 1;
  if (out.length > 0 && tokens.length % w !== 0) out.push(tokens.slice(tokens.length - w));
  return out;
}

/** What {@link prepareUnitText} needs. */
export interface UnitTextOptions {
  readonly corpus: Corpus;
  readonly unit: DocumentUnit;
  readonly validationFraction: number;
  /** The split's random source (seeded from the data seed). */
  readonly splitRandom: RandomSource;
  /** Builds the tokenizer from the training lines (after the split, before canaries). */
  readonly tokenizerFor: (trainLines: readonly string[]) => Tokenizer;
}

/** The text of a unit run, split and tokenized, before canaries. */
export interface UnitText {
  readonly tokenizer: Tokenizer;
  readonly train: { readonly key: string; readonly lines: string[] }[];
  readonly validation: { readonly key: string; readonly lines: string[] }[];
  /** The training documents as the corpus has them (before canaries): where natural secrets are looked for. */
  readonly trainDocuments: readonly CorpusDocument[];
}

/**
 * Groups the corpus's documents into units, after checking that every document has what the
 * unit needs (a user for 'user': InvalidArgumentError naming the first without one), and splits
 * whole documents into training and validation (src/data/units.ts splitDocuments).
 */
export function prepareUnitText(o: UnitTextOptions): UnitText {
  const docs = documentsOf(o.corpus);
  groupIntoUnits(docs, o.unit); // every document has its unit's key, or a one-line error
  const split = splitDocuments(docs, o.validationFraction, o.splitRandom);
  const train = groupIntoUnits(split.train, o.unit).map((u) => ({ key: u.key, lines: u.lines }));
  const validation = groupIntoUnits(split.validation, o.unit).map((u) => ({ key: u.key, lines: u.lines }));
  return { tokenizer: o.tokenizerFor(train.flatMap((u) => u.lines)), train, validation, trainDocuments: split.train };
}

/** Training windows of a unit run: canaries in, sanitised when asked, cut per unit. */
export interface UnitWindows {
  readonly windows: Int32Array[];
  readonly units: WindowUnits;
  readonly manifest: CanaryManifest;
  readonly sanitizedLines: number;
}

/**
 * Inserts every copy of each canary into one training unit big enough to hold it (at least r
 * lines and one window of its own text), sanitises when asked, and cuts each unit's token
 * stream into windows (cutUnitWindows). Units without a window are dropped and counted.
 */
export function unitTrainingWindows(
  text: UnitText,
  o: { readonly format: CanaryFormat; readonly canaries: readonly Canary[]; readonly random: RandomSource; readonly seqLength: number; readonly sanitize: boolean; readonly kind: DocumentUnit },
): UnitWindows {
  const tokens = (lines: readonly string[]): number => lines.reduce((n, l) => n + text.tokenizer.encode(l).length + 1, 0);
  const inserted = insertCanariesInUnits(text.train, o.format, o.canaries, o.random, { bigEnough: (u) => tokens(text.train[u]!.lines) >= o.seqLength + 1 });
  const windows: Int32Array[] = [];
  const ids: number[] = [];
  const keys: string[] = [];
  let sanitizedLines = 0;
  let dropped = 0;
  inserted.units.forEach((lines, u) => {
    let kept = lines;
    if (o.sanitize) {
      const s = sanitizeLines(lines, o.format);
      kept = s.kept;
      sanitizedLines += s.removed;
    }
    const ws = cutUnitWindows(linesToTokens(kept, text.tokenizer), o.seqLength);
    if (ws.length === 0) {
      dropped++;
      return;
    }
    for (const w of ws) {
      windows.push(w);
      ids.push(keys.length);
    }
    keys.push(text.train[u]!.key);
  });
  return { windows, units: { kind: o.kind, keys, ids: Int32Array.from(ids), dropped }, manifest: inserted.manifest, sanitizedLines };
}

/** Validation windows of a unit run: disjoint windows cut from each validation unit's text. */
export function unitValidationWindows(text: UnitText, seqLength: number): Int32Array[] {
  return text.validation.flatMap((u) => makeWindows(linesToTokens(u.lines, text.tokenizer), seqLength));
}

/** The unit with the most training windows (ties: the first). */
export function largestOfUnits(units: WindowUnits): LargestUnit {
  const counts = new Int32Array(units.keys.length);
  for (const u of units.ids) counts[u]!++;
  let best = 0;
  counts.forEach((n, u) => {
    if (n > counts[best]!) best = u;
  });
  return { unit: units.kind, key: units.keys[best]!, windows: counts[best]! };
}

/** What {@link largestUnitInStream} needs about a window run's training text. */
export interface StreamText {
  readonly corpus: Corpus;
  /** Index in corpus.documents of each training line before canaries (PreparedData.trainLineDocuments). */
  readonly lineDocuments: Int32Array;
  /** The training lines after canary insertion, before sanitisation. */
  readonly lines: readonly string[];
  readonly manifest: CanaryManifest;
  readonly format: CanaryFormat;
  readonly sanitize: boolean;
  readonly tokenizer: Tokenizer;
  readonly seqLength: number;
}

/**
 * For a window run over one token stream: the user (when every document has one) or else the
 * document whose training lines touch the most windows, and how many (k, for group privacy:
 * removing its text changes those k windows). Canary copies belong to no corpus unit.
 */
export function largestUnitInStream(s: StreamText): LargestUnit | undefined {
  const docs = s.corpus.documents;
  if (!docs || docs.length === 0) return undefined;
  const kind: DocumentUnit = docs.every((d) => d.user !== undefined) ? 'user' : 'document';
  const keys: string[] = [];
  const index = new Map<string, number>();
  const unitOfDoc = docs.map((d) => {
    const key = kind === 'user' ? d.user! : d.id;
    let u = index.get(key);
    if (u === undefined) {
      index.set(key, (u = keys.length));
      keys.push(key);
    }
    return u;
  });
  const canaryAt = new Set(s.manifest.canaries.flatMap((c) => c.positions));
  const removed = s.sanitize ? canaryFormatPattern(s.format) : null;
  const w = s.seqLength + 1;
  // First pass: each kept line's unit (-1: a canary copy) and token span.
  const spans: { unit: number; from: number; to: number }[] = [];
  let next = 0;
  let at = 0;
  s.lines.forEach((line, p) => {
    const unit = canaryAt.has(p) ? -1 : unitOfDoc[s.lineDocuments[next++]!]!;
    if (removed?.test(line)) return;
    const n = s.tokenizer.encode(line).length + 1;
    spans.push({ unit, from: at, to: at + n });
    at += n;
  });
  const numWindows = Math.floor(at / w);
  const counts = new Int32Array(keys.length);
  const lastWindow = new Int32Array(keys.length).fill(-1);
  for (const { unit, from, to } of spans) {
    if (unit < 0) continue;
    const first = Math.max(Math.floor(from / w), lastWindow[unit]! + 1);
    const last = Math.min(Math.floor((to - 1) / w), numWindows - 1);
    if (last < first) continue;
    counts[unit]! += last - first + 1;
    lastWindow[unit] = last;
  }
  let best = 0;
  counts.forEach((n, u) => {
    if (n > counts[best]!) best = u;
  });
  return counts[best]! > 0 ? { unit: kind, key: keys[best]!, windows: counts[best]! } : undefined;
}
