/**
 * Who wrote each document, for user-level privacy on corpora that do not say it themselves
 * (a mail corpus does: its loader sets each document's user from the From: header). Two ways:
 * a mapping file (`--user-map`) or a pattern on the document id (`--user-pattern`).
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from '../util/errors.js';
import type { Corpus, CorpusDocument } from './corpus.js';

/** Where the users of a corpus's documents come from (at most one of the two). */
export interface UserSource {
  /** Path of a mapping file: a JSON object {"document-id": "user"} or TSV lines `document-id<TAB>user`. */
  readonly userMap?: string;
  /** A regular expression whose FIRST capture group, matched on a document id, is the user. */
  readonly userPattern?: string;
}

/**
 * Reads a user mapping file: a JSON object of strings (when the text starts with '{'), or TSV
 * with one `document-id<TAB>user` per line (blank lines and lines starting with '#' skipped).
 * InvalidArgumentError (naming the file and line) for an unreadable file, bad JSON, a line
 * without a tab, an empty id or user, or an id given two different users.
 */
export function readUserMap(path: string): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new InvalidArgumentError(`cannot read the user map '${path}'`);
  }
  const map = new Map<string, string>();
  const put = (id: string, user: string, where: string): void => {
    if (id === '' || user === '') throw new InvalidArgumentError(`user map '${path}' ${where}: empty document id or user`);
    const had = map.get(id);
    if (had !== undefined && had !== user) throw new InvalidArgumentError(`user map '${path}' ${where}: document '${id}' is given two users ('${had}' and '${user}')`);
    map.set(id, user);
  };
  if (text.trimStart().startsWith('{')) {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw new InvalidArgumentError(`user map '${path}' is not valid JSON`);
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InvalidArgumentError(`user map '${path}' must be a JSON object {"document-id": "user"}`);
    for (const [id, user] of Object.entries(raw as Record<string, unknown>)) {
      if (typeof user !== 'string') throw new InvalidArgumentError(`user map '${path}': the user of '${id}' must be a string`);
      put(id, user, `entry '${id}'`);
    }
  } else {
    text.split(/\r?\n/).forEach((line, i) => {
      if (line.trim() === '' || line.startsWith('#')) return;
      const tab = line.indexOf('\t');
      if (tab < 0) throw new InvalidArgumentError(`user map '${path}' line ${i + 1}: expected 'document-id<TAB>user'`);
      put(line.slice(0, tab).trim(), line.slice(tab + 1).trim(), `line ${i + 1}`);
    });
  }
  if (map.size === 0) throw new InvalidArgumentError(`user map '${path}' holds no entry`);
  return map;
}

/** Compiles a user pattern; InvalidArgumentError when it is not a regular expression with a capture group. */
export function compileUserPattern(source: string): RegExp {
  let re: RegExp;
  try {
    re = new RegExp(source);
  } catch (err) {
    throw new InvalidArgumentError(`--user-pattern '${source}' is not a regular expression: ${(err as Error).message}`);
  }
  // A regex with g capture groups matches the empty alternative with g + 1 entries.
  if (new RegExp(`${source}|`).exec('')!.length < 2) throw new InvalidArgumentError(`--user-pattern '${source}' needs a capture group (...) that picks the user out of the document id`);
  return re;
}

/**
 * The corpus with each document's user set from `source`: the map's entry for its id, or the
 * pattern's first capture group on its id (non-empty); a document neither names keeps the user
 * its loader gave (or none). A corpus without documents, or a map none of whose ids is a
 * document of the corpus, is an InvalidArgumentError. With neither option, the corpus as it is.
 */
export function assignUsers(corpus: Corpus, source: UserSource): Corpus {
  if (source.userMap === undefined && source.userPattern === undefined) return corpus;
  if (source.userMap !== undefined && source.userPattern !== undefined) throw new InvalidArgumentError('give --user-map or --user-pattern, not both');
  const docs = corpus.documents;
  if (!docs || docs.length === 0) throw new InvalidArgumentError(`corpus '${corpus.source}' has no documents to assign users to`);
  let userOf: (d: CorpusDocument) => string | undefined;
  if (source.userMap !== undefined) {
    const map = readUserMap(source.userMap);
    if (!docs.some((d) => map.has(d.id))) {
      throw new InvalidArgumentError(`no document id of corpus '${corpus.source}' is in the user map '${source.userMap}' (ids look like '${docs[0]!.id}')`);
    }
    userOf = (d) => map.get(d.id);
  } else {
    const re = compileUserPattern(source.userPattern!);
    userOf = (d) => {
      const user = re.exec(d.id)?.[1];
      return user === undefined || user === '' ? undefined : user;
    };
  }
  const documents = docs.map((d): CorpusDocument => {
    const user = userOf(d) ?? d.user;
    return user === undefined ? d : { ...d, user };
  });
  return { ...corpus, documents };
}
