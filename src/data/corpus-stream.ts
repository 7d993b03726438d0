import { statSync, type Stats } from 'node:fs';
import { basename, relative, sep } from 'node:path';
import { InvalidArgumentError } from '../util/errors.js';
import { brownFileIds, loadBrownCorpus } from './brown.js';
import { isMailCorpusName, mailFiles, readMailDocuments } from './mail/corpus.js';
import { readLinesSync } from './read-lines.js';
import { listTextFiles } from './text-corpus.js';

/**
 * A corpus read one document at a time, for passes over corpora too large to hold in memory
 * (the secret scanner). The documents and their lines are the ones the in-memory loaders
 * (loadCorpus) give, without their character limit.
 */

/** A document whose lines may be produced lazily (a large text file read in chunks). */
export interface StreamedDocument {
  readonly id: string;
  readonly user?: string;
  /** The document's corpus lines (non-blank, trimmed), in order; iterate once. */
  readonly lines: Iterable<string>;
}

export interface CorpusStreamOptions {
  /** Mail corpora: put each mail's header lines before its body (default false). */
  includeHeaders?: boolean;
  /** Read at most this many documents (files), in order (integer >= 1; default all). */
  maxDocuments?: number;
}

export interface CorpusStream {
  /** The corpus as named ('brown', a path, 'spam-assassin:ham', 'mail:DIR'). */
  readonly source: string;
  readonly format: 'brown' | 'text' | 'mail';
  /** Documents (files) the stream reads, at most. */
  readonly files: number;
  /** The documents, in corpus order (a new pass each call). */
  documents(): Generator<StreamedDocument>;
}

/**
 * Open a corpus for streaming: 'brown' (or undefined; one document per Brown file, id
 * 'brown:ca01'), a mail corpus name ('spam-assassin:ham', 'spam-assassin:spam', 'mail:PATH'),
 * or a path to a text file or a folder of .txt files (one document per file). Everything that
 * can be checked without reading the text is checked now (paths, options), so that a bad
 * request fails before a long pass: InvalidArgumentError.
 */
export function openCorpusStream(corpus: string | undefined, opts: CorpusStreamOptions = {}): CorpusStream {
  const limit = opts.maxDocuments ?? Infinity;
  if (opts.maxDocuments !== undefined && (!Number.isSafeInteger(limit) || limit < 1)) {
    throw new InvalidArgumentError(`maxDocuments must be an integer >= 1, got ${opts.maxDocuments}`);
  }
  if (corpus !== undefined && isMailCorpusName(corpus)) {
    const files = mailFiles(corpus);
    return {
      source: corpus,
      format: 'mail',
      files: Math.min(limit, files.files.length),
      documents: () => readMailDocuments(files, opts),
    };
  }
  if (opts.includeHeaders) {
    throw new InvalidArgumentError(`headers exist only in mail corpora (spam-assassin:ham, spam-assassin:spam, mail:DIR), not in '${corpus ?? 'brown'}'`);
  }
  if (corpus === undefined || corpus === 'brown') {
    const ids = brownFileIds().slice(0, limit);
    return {
      source: 'brown',
      format: 'brown',
      files: ids.length,
      *documents() {
        for (const id of ids) yield { id: `brown:${id}`, lines: loadBrownCorpus({ files: [id] }).lines };
      },
    };
  }
  let st: Stats;
  try {
    st = statSync(corpus);
  } catch {
    throw new InvalidArgumentError(`corpus path '${corpus}' does not exist`);
  }
  const files = st.isDirectory() ? listTextFiles(corpus) : [corpus];
  if (files.length === 0) {
    throw new InvalidArgumentError(`corpus folder '${corpus}' holds no .txt files (a folder of mails is read as --corpus mail:${corpus})`);
  }
  const chosen = files.slice(0, limit);
  return {
    source: corpus,
    format: 'text',
    files: chosen.length,
    *documents() {
      for (const f of chosen) {
        yield { id: st.isDirectory() ? relative(corpus, f).split(sep).join('/') : basename(f), lines: nonBlankTrimmed(readLinesSync(f)) };
      }
    },
  };
}

function* nonBlankTrimmed(lines: Iterable<string>): Generator<string> {
  for (const line of lines) {
    const t = line.trim();
    if (t !== '') yield t;
  }
}
