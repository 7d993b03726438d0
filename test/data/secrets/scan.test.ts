import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseFormat } from '../../../src/canary/format.js';
import { openCorpusStream } from '../../../src/data/corpus-stream.js';
import { loadMailCorpus } from '../../../src/data/mail/corpus.js';
import { customFormatDetector } from '../../../src/data/secrets/custom.js';
import { BUILTIN_DETECTORS, parseSecretKinds } from '../../../src/data/secrets/kinds.js';
import { scanSecrets, SecretScanner } from '../../../src/data/secrets/scan.js';
import type { NaturalSecret } from '../../../src/data/secrets/types.js';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'mail');
const ALL = Object.values(BUILTIN_DETECTORS);

/** The context of an occurrence built from the whole document, independently of the scanner's rolling tail. */
function contextFromDocument(lines: readonly string[], line: number, column: number, chars: number): string {
  const before = lines.slice(0, line).map((l) => `${l}\n`).join('') + lines[line]!.slice(0, column);
  return chars === 0 ? '' : before.slice(-chars);
}

describe('scanning the fixture mails', () => {
  const scan = scanSecrets(openCorpusStream(`mail:${FIXTURE}`).documents(), ALL);
  const byText = new Map<string, NaturalSecret>(scan.secrets.map((s) => [s.text, s]));

  it('finds what the mails hold, and nothing of what they do not', () => {
    expect(scan.secrets.map((s) => [s.kind, s.text])).toEqual([
      ['phone', '(617) 555-0134'],
      ['phone', '(212) 555-0147'],
      ['phone', '+44 (0)20 7946 0000'],
      ['phone', '+44 20 7946 0958'],
      ['phone', '+49 30 1234567'],
      ['phone', '212-555-0149'],
      ['phone', '617-555-0123'],
      ['phone', '617-555-0199'],
      ['card', '4111 1111 1111 1111'],
      ['ssn', '536-22-8437'],
      ['ipv4', '10.0.0.7'],
    ]);
    // Not found: the version 1.2.3.4 and revision 1.91.2.2, the never-valid SSN 219-09-9999, the 11-digit
    // 617-555-01995, the HTML alternative, the comment and the script, the .json twin and the hidden file.
  });

  it("Alice's signature: 3 occurrences in 3 documents of 1 user, each with its line, column and context", () => {
    const alice = byText.get('(617) 555-0134')!;
    expect(alice.format).toBe('({digits:3}) {digits:3}-{digits:4}');
    expect(alice.spaceBits).toBeCloseTo(10 * Math.log2(10), 12);
    expect([alice.documents, alice.users]).toEqual([3, 1]);
    const docs = loadMailCorpus(`mail:${FIXTURE}`).documents!;
    expect(alice.occurrences.map((o) => o.document)).toEqual(['01-alice.eml', '02-alice.eml', '03-alice']);
    for (const o of alice.occurrences) {
      const lines = docs.find((d) => d.id === o.document)!.lines;
      expect(o.user).toBe('alice@example.com');
      expect(lines[o.line]!.slice(o.column)).toBe('Phone: (617) 555-0134'.slice(7));
      expect(o.context).toBe(contextFromDocument(lines, o.line, o.column, 100));
    }
    expect(alice.occurrences[2]!.context).toBe('The slides are on the share.\n--\nAlice Example\nPhone: ');
  });

  it('a mail without From: gives occurrences without a user, and the secret counts 0 users', () => {
    const anon = byText.get('617-555-0123')!;
    expect([anon.documents, anon.users]).toEqual([1, 0]);
    expect('user' in anon.occurrences[0]!).toBe(false);
  });

  it('totals: documents, users, lines and characters read; per-kind summary', () => {
    const docs = loadMailCorpus(`mail:${FIXTURE}`).documents!;
    expect(scan.documents).toBe(7);
    expect(scan.users).toBe(4); // alice, bob, carol, dave; the seventh mail has no From:
    expect(scan.lines).toBe(docs.reduce((n, d) => n + d.lines.length, 0));
    expect(scan.chars).toBe(docs.reduce((n, d) => n + d.lines.join('').length, 0));
    expect(scan.summary).toEqual([
      { kind: 'phone', distinct: 8, occurrences: 10, oneUser: 7, oneDocument: 7 },
      { kind: 'card', distinct: 1, occurrences: 1, oneUser: 1, oneDocument: 1 },
      { kind: 'ssn', distinct: 1, occurrences: 1, oneUser: 1, oneDocument: 1 },
      { kind: 'ipv4', distinct: 1, occurrences: 1, oneUser: 1, oneDocument: 1 },
    ]);
  });

  it('headers hold more: relay addresses; still no card in the Message-ID 4111111111111111@…', () => {
    const h = scanSecrets(openCorpusStream(`mail:${FIXTURE}`, { includeHeaders: true }).documents(), ALL);
    expect(h.secrets.filter((s) => s.kind === 'ipv4').map((s) => s.text)).toEqual(['10.0.0.7', '192.0.2.10']);
    expect(h.secrets.filter((s) => s.kind === 'card').map((s) => s.text)).toEqual(['4111 1111 1111 1111']);
  });
});

describe('the scanner', () => {
  const docs = [
    { id: 'a', user: 'u1', lines: ['x pin 1111', 'pin 2222 and pin 1111'] },
    { id: 'b', user: 'u2', lines: ['pin 1111'] },
    { id: 'c', lines: ['pin 3333'] },
  ];
  const pin = [customFormatDetector(parseFormat('pin {digits:4}'))];

  it('contexts are cut to contextChars across lines (0 keeps none) and match the whole-document construction', () => {
    for (const chars of [0, 1, 5, 12, 100]) {
      const s = scanSecrets(docs, pin, { contextChars: chars });
      for (const secret of s.secrets) {
        for (const o of secret.occurrences) {
          expect(o.context).toBe(contextFromDocument(docs.find((d) => d.id === o.document)!.lines, o.line, o.column, chars));
        }
      }
    }
    const s = scanSecrets(docs, pin, { contextChars: 5 });
    expect(s.secrets[0]!.occurrences.map((o) => o.context)).toEqual(['x ', ' and ', '']);
    expect(s.secrets[1]!.occurrences[0]!.context).toBe('1111\n'); // across the line break
  });

  it('orders by occurrences, then text; minOccurrences filters secrets and the summary', () => {
    const s = scanSecrets(docs, pin);
    expect(s.secrets.map((x) => [x.text, x.occurrences.length, x.documents, x.users])).toEqual([
      ['pin 1111', 3, 2, 2],
      ['pin 2222', 1, 1, 1],
      ['pin 3333', 1, 1, 0],
    ]);
    const two = scanSecrets(docs, pin, { minOccurrences: 2 });
    expect(two.secrets.map((x) => x.text)).toEqual(['pin 1111']);
    expect(two.summary).toEqual([{ kind: 'custom', distinct: 1, occurrences: 3, oneUser: 0, oneDocument: 0 }]);
    expect(two.documents).toBe(3);
  });

  it('lines are read lazily, once, one document at a time', () => {
    let reads = 0;
    function* lazy(lines: string[]): Generator<string> {
      for (const l of lines) {
        reads++;
        yield l;
      }
    }
    const scanner = new SecretScanner(pin);
    scanner.addDocument({ id: 'g', lines: lazy(['pin 1234', 'pin 1234']) });
    expect(reads).toBe(2);
    expect(scanner.result().secrets[0]!.occurrences.map((o) => o.line)).toEqual([0, 1]);
  });

  it('bad settings are InvalidArgumentErrors', () => {
    expect(() => new SecretScanner([])).toThrow(/at least one kind or format/);
    expect(() => new SecretScanner(pin, -1)).toThrow(/contextChars must be an integer >= 0/);
    expect(() => new SecretScanner(pin, 1.5)).toThrow(/contextChars/);
    expect(() => scanSecrets(docs, pin, { minOccurrences: 0 })).toThrow(/minOccurrences must be an integer >= 1/);
    expect(() => parseSecretKinds('phone,cards')).toThrow(/unknown secret kind 'cards'/);
    expect(() => parseSecretKinds('phone,')).toThrow(/comma-separated/);
    expect(parseSecretKinds('IPv4, phone,phone')).toEqual(['phone', 'ipv4']);
  });
});
