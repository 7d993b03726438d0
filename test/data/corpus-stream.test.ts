import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { brownFileIds, loadBrownCorpus } from '../../src/data/brown.js';
import { openCorpusStream } from '../../src/data/corpus-stream.js';
import { loadMailCorpus } from '../../src/data/mail/corpus.js';
import { readLinesSync } from '../../src/data/read-lines.js';
import { loadTextCorpus } from '../../src/data/text-corpus.js';
import { seededRandom } from '../../src/util/random.js';

const MAIL = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'mail');

/** Materialise a stream's documents (ids, users, lines as arrays). */
function collect(corpus: string | undefined, opts = {}): { id: string; user?: string; lines: string[] }[] {
  return [...openCorpusStream(corpus, opts).documents()].map((d) => ({ ...d, lines: [...d.lines] }));
}

describe('readLinesSync', () => {
  it('gives the lines of String.split on random text for any chunk size (CR, LF, CRLF and multi-byte characters across chunks)', () => {
    const rng = seededRandom('read-lines');
    const pieces = ['a', 'b', ' ', '\n', '\r', '\r\n', 'é', '☎', '\u{1F600}', 'xyz'];
    const dir = mkdtempSync(join(tmpdir(), 'dpc-lines-'));
    for (let t = 0; t < 60; t++) {
      const text = Array.from({ length: rng.int(80) }, () => pieces[rng.int(pieces.length)]).join('');
      const path = join(dir, `t${t}.txt`);
      writeFileSync(path, text);
      const expected = text.split(/\r\n|\r|\n/);
      if (expected[expected.length - 1] === '') expected.pop(); // a final line break ends the last line
      for (const chunk of [1, 2, 3, 5, 64]) expect([...readLinesSync(path, chunk)], `${JSON.stringify(text)} / ${chunk}`).toEqual(expected);
    }
  });

  it('a missing file is an InvalidArgumentError when iteration starts', () => {
    expect(() => [...readLinesSync('/no/such/file.txt')]).toThrow(/cannot read corpus file/);
  });
});

describe('openCorpusStream', () => {
  it('a text folder streams the documents loadTextCorpus loads (ids and lines), one per .txt file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dpc-stream-'));
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'b.txt'), '  second file \r\n\r\nline two\n');
    writeFileSync(join(dir, 'a.txt'), 'first\n\n');
    writeFileSync(join(dir, 'sub', 'c.txt'), 'nested');
    writeFileSync(join(dir, 'skip.md'), 'not text corpus');
    const loaded = loadTextCorpus(dir).documents!;
    expect(collect(dir)).toEqual(loaded.map((d) => ({ id: d.id, lines: d.lines })));
    expect(collect(dir).map((d) => d.id)).toEqual(['a.txt', 'b.txt', 'sub/c.txt']);
    expect(collect(join(dir, 'b.txt'))).toEqual([{ id: 'b.txt', lines: ['second file', 'line two'] }]);
    expect(collect(dir, { maxDocuments: 2 }).map((d) => d.id)).toEqual(['a.txt', 'b.txt']);
    const s = openCorpusStream(dir);
    expect([s.format, s.files]).toEqual(['text', 3]);
  });

  it('a mail folder streams the documents loadMailCorpus loads (with senders), headers when asked', () => {
    expect(collect(`mail:${MAIL}`)).toEqual(loadMailCorpus(`mail:${MAIL}`).documents);
    expect(collect(`mail:${MAIL}`, { includeHeaders: true })).toEqual(loadMailCorpus(`mail:${MAIL}`, { includeHeaders: true }).documents);
    expect(openCorpusStream(`mail:${MAIL}`, { maxDocuments: 2 }).files).toBe(2);
  });

  it('Brown streams one document per file with the loader\'s lines', () => {
    const s = openCorpusStream('brown', { maxDocuments: 2 });
    const ids = brownFileIds().slice(0, 2);
    expect(s.files).toBe(2);
    expect(collect('brown', { maxDocuments: 2 })).toEqual(ids.map((id) => ({ id: `brown:${id}`, lines: loadBrownCorpus({ files: [id] }).lines })));
  });

  it('bad requests fail when the stream is opened, before any text is read', () => {
    expect(() => openCorpusStream('/no/such/corpus')).toThrow(/does not exist/);
    const mails = mkdtempSync(join(tmpdir(), 'dpc-maildir-'));
    writeFileSync(join(mails, '1.eml'), 'From: a@b.c\n\nhi\n');
    expect(() => openCorpusStream(mails)).toThrow(/holds no \.txt files \(a folder of mails is read as --corpus mail:/);
    expect(() => openCorpusStream('brown', { includeHeaders: true })).toThrow(/headers exist only in mail corpora/);
    expect(() => openCorpusStream(`mail:${MAIL}`, { maxDocuments: 0 })).toThrow(/maxDocuments must be an integer >= 1/);
    expect(() => openCorpusStream('spam-assassin:all')).toThrow(/spam-assassin:ham or spam-assassin:spam/);
  });
});
