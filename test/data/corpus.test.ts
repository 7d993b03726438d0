import { describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync, chmodSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brownDir, brownFileIds, detagBrownLine, loadBrownCorpus } from '../../src/data/brown.js';
import { loadCorpus, loadTextCorpus } from '../../src/data/text-corpus.js';
import { InvalidArgumentError } from '../../src/util/errors.js';

describe('Brown Corpus loader', () => {
  it('finds the 500 files ca01..cr09', () => {
    const ids = brownFileIds();
    expect(ids.length).toBe(500);
    expect(ids[0]).toBe('ca01');
    expect(ids[499]).toBe('cr09');
  });

  it('restores the known first sentence of ca01 as plain text', () => {
    const c = loadBrownCorpus({ files: ['ca01'] });
    expect(c.lines[0]).toBe(
      'The Fulton County Grand Jury said Friday an investigation of Atlanta\'s recent primary election produced "no evidence" that any irregularities took place.',
    );
    expect(c.source).toBe('brown');
    expect(c.chars).toBe(c.lines.reduce((n, l) => n + l.length, 0));
  });

  it('leaves no tag behind on the first 20 files', () => {
    const files = brownFileIds().slice(0, 20);
    // Every tag that actually occurs in these files (the part after the last slash).
    const tags = new Set<string>();
    for (const f of files) {
      for (const tok of readFileSync(join(brownDir(), f), 'utf8').split(/\s+/)) {
        const k = tok.lastIndexOf('/');
        if (k > 0) tags.add(tok.slice(k + 1));
      }
    }
    expect(tags.has('at') && tags.has('nn-tl') && tags.has('np$')).toBe(true);
    const c = loadBrownCorpus({ files });
    let tagged = 0;
    for (const line of c.lines) {
      for (const w of line.split(' ')) {
        const k = w.lastIndexOf('/');
        if (k > 0 && tags.has(w.slice(k + 1).replace(/[.,;:?!"]+$/, ''))) tagged++;
      }
      expect(line).not.toMatch(/``|''/);
      expect(line).not.toMatch(/ [,.;:?!]/);
    }
    expect(tagged).toBe(0);
  });

  it('keeps slashes inside words and handles quotes and spacing', () => {
    expect(detagBrownLine("\tHe/pps said/vbd ``/`` yes/rb ''/'' ,/, 1/2/cd of/in and/or/cc it/pps ./.")).toBe(
      'He said "yes", 1/2 of and/or it.',
    );
    expect(detagBrownLine('Mr./np Allen/np Jr./np ./.')).toBe('Mr. Allen Jr.');
    expect(detagBrownLine('(/( see/vb )/) $/$ 5/cd')).toBe('(see) $5');
  });

  it('stops at the character limit and reads files in order', () => {
    const c = loadBrownCorpus({ maxChars: 1000 });
    expect(c.chars).toBeLessThanOrEqual(1000);
    expect(c.chars).toBeGreaterThan(800); // Brown lines are much shorter than 200 characters
    const whole = loadBrownCorpus({ files: ['ca01'] });
    expect(whole.lines.slice(0, c.lines.length)).toEqual(c.lines);
  });

  it('rejects unknown file ids with an InvalidArgumentError', () => {
    expect(() => loadBrownCorpus({ files: ['zz99'] })).toThrow(InvalidArgumentError);
  });
});

describe('user text corpus', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dpc-corpus-'));

  it('reads one file, trimming lines and dropping blank ones (CRLF too)', () => {
    const f = join(dir, 'one.txt');
    writeFileSync(f, 'first line  \r\n\r\n  second\n\n');
    const c = loadTextCorpus(f);
    expect(c.lines).toEqual(['first line', 'second']);
    expect(c.source).toBe(f);
    expect(loadCorpus({ corpus: f }).lines).toEqual(c.lines);
  });

  it('reads .txt files of a folder recursively in sorted order, ignoring other files', () => {
    const d = join(dir, 'tree');
    mkdirSync(join(d, 'b', 'c'), { recursive: true });
    writeFileSync(join(d, 'z.txt'), 'zed\n');
    writeFileSync(join(d, 'a.txt'), 'ay\n');
    writeFileSync(join(d, 'b', 'c', 'deep.txt'), 'deep\n');
    writeFileSync(join(d, 'b', 'notes.md'), 'not text\n');
    expect(loadTextCorpus(d).lines).toEqual(['ay', 'deep', 'zed']);
  });

  it('turns bad input into InvalidArgumentErrors', () => {
    expect(() => loadTextCorpus(join(dir, 'missing.txt'))).toThrow(/does not exist/);
    const empty = join(dir, 'empty.txt');
    writeFileSync(empty, '\n  \n');
    expect(() => loadTextCorpus(empty)).toThrow(/empty/);
    const noTxt = join(dir, 'notxt');
    mkdirSync(noTxt);
    writeFileSync(join(noTxt, 'x.md'), 'hello');
    expect(() => loadTextCorpus(noTxt)).toThrow(/no \.txt files/);
    for (const p of [join(dir, 'missing.txt'), empty, noTxt]) expect(() => loadTextCorpus(p)).toThrow(InvalidArgumentError);
    if (process.getuid?.() !== 0) {
      const locked = join(dir, 'locked.txt');
      writeFileSync(locked, 'secret');
      chmodSync(locked, 0o000);
      expect(() => loadTextCorpus(locked)).toThrow(InvalidArgumentError);
    }
  });

  it('loadCorpus defaults to Brown', () => {
    expect(loadCorpus({ maxChars: 500 }).source).toBe('brown');
  });
});
