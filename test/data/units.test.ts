import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Corpus } from '../../src/data/corpus.js';
import { loadBrownCorpus } from '../../src/data/brown.js';
import { validationMask, splitTrainValidation } from '../../src/data/split.js';
import { PRIVACY_UNITS, checkPrivacyUnit, groupIntoUnits, splitDocuments } from '../../src/data/units.js';
import { assignUsers, compileUserPattern, readUserMap } from '../../src/data/users.js';
import { InvalidArgumentError } from '../../src/util/errors.js';
import { seededRandom } from '../../src/util/random.js';

const corpus: Corpus = {
  source: 'mem',
  lines: ['a1', 'a2', 'b1', 'c1', 'c2', 'c3'],
  chars: 12,
  documents: [
    { id: 'alice/1.txt', lines: ['a1', 'a2'] },
    { id: 'bob/1.txt', lines: ['b1'] },
    { id: 'alice/2.txt', lines: ['c1', 'c2', 'c3'] },
  ],
};

function file(name: string, text: string): string {
  const p = join(mkdtempSync(join(tmpdir(), 'dpc-users-')), name);
  writeFileSync(p, text);
  return p;
}

describe('users of documents', () => {
  it('from a pattern: the first capture group on the id', () => {
    const c = assignUsers(corpus, { userPattern: '^([a-z]+)/' });
    expect(c.documents!.map((d) => d.user)).toEqual(['alice', 'bob', 'alice']);
    expect(c.lines).toBe(corpus.lines);
  });

  it('from a JSON or TSV map; a document the map does not name keeps no user', () => {
    const json = assignUsers(corpus, { userMap: file('m.json', JSON.stringify({ 'alice/1.txt': 'A', 'bob/1.txt': 'B' })) });
    expect(json.documents!.map((d) => d.user)).toEqual(['A', 'B', undefined]);
    const tsv = readUserMap(file('m.tsv', '# id\tuser\nalice/1.txt\tA\n\nalice/2.txt\tA\r\n'));
    expect([...tsv]).toEqual([['alice/1.txt', 'A'], ['alice/2.txt', 'A']]);
  });

  it.each([
    ['m.tsv', 'alice/1.txt A\n', /line 1: expected 'document-id<TAB>user'/],
    ['m.tsv', 'x\tA\nx\tB\n', /given two users/],
    ['m.json', '{"x": 3}', /must be a string/],
    ['m.json', '{"x": ', /not valid JSON/],
    ['m.tsv', '\n# nothing\n', /holds no entry/],
  ])('a bad map (%s %j) is one InvalidArgumentError', (name, text, message) => {
    expect(() => readUserMap(file(name, text))).toThrow(message);
    expect(() => readUserMap(file(name, text))).toThrow(InvalidArgumentError);
  });

  it('refuses a map that names no document, both options at once, and patterns without a group', () => {
    expect(() => assignUsers(corpus, { userMap: file('m.json', '{"carol.txt": "C"}') })).toThrow(/no document id .*ids look like 'alice\/1.txt'/);
    expect(() => assignUsers(corpus, { userMap: 'x', userPattern: '(x)' })).toThrow(/not both/);
    expect(() => compileUserPattern('abc')).toThrow(/capture group/);
    expect(() => compileUserPattern('(?:abc)')).toThrow(/capture group/);
    expect(compileUserPattern('(?:a)(b)').exec('ab')![1]).toBe('b');
    expect(() => compileUserPattern('(')).toThrow(InvalidArgumentError);
  });
});

describe('grouping documents into units', () => {
  it('one unit per document, or per user in order of first appearance', () => {
    expect(groupIntoUnits(corpus.documents!, 'document').map((u) => u.key)).toEqual(['alice/1.txt', 'bob/1.txt', 'alice/2.txt']);
    const users = groupIntoUnits(assignUsers(corpus, { userPattern: '^([a-z]+)/' }).documents!, 'user');
    expect(users).toEqual([
      { key: 'alice', documents: ['alice/1.txt', 'alice/2.txt'], lines: ['a1', 'a2', 'c1', 'c2', 'c3'] },
      { key: 'bob', documents: ['bob/1.txt'], lines: ['b1'] },
    ]);
  });

  it('a user unit needs a user for every document: the error names the first without one', () => {
    expect(() => groupIntoUnits(corpus.documents!, 'user')).toThrow(/document 'alice\/1.txt' has no user/);
    expect(() => checkPrivacyUnit('person', '--privacy-unit')).toThrow(`--privacy-unit must be ${PRIVACY_UNITS.join(', ')}; got 'person'`);
  });

  it('splits whole documents with the line split\'s rule and draws', () => {
    const docs = Array.from({ length: 20 }, (_, i) => ({ id: `d${i}`, lines: [`line ${i}`] }));
    const split = splitDocuments(docs, 0.25, seededRandom('s'));
    expect(split.validation).toHaveLength(5);
    const mask = validationMask(20, 0.25, seededRandom('s'), 'x');
    expect(split.validation.map((d) => d.id)).toEqual(docs.filter((_, i) => mask[i]).map((d) => d.id));
    const lines = splitTrainValidation(docs.map((d) => d.lines[0]!), 0.25, seededRandom('s'));
    expect(lines.validation).toEqual(split.validation.map((d) => d.lines[0]));
    expect(() => splitDocuments(docs.slice(0, 1), 0.5, seededRandom('s'))).toThrow(/at least 2 documents/);
  });

  it('Brown documents are its files, and their lines are the corpus lines', () => {
    const b = loadBrownCorpus({ maxChars: 30_000 });
    expect(b.documents!.map((d) => d.id).slice(0, 2)).toEqual(['brown:ca01', 'brown:ca02']);
    expect(b.documents!.flatMap((d) => d.lines)).toEqual(b.lines);
  });
});
