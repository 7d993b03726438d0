import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bufferIO } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/program.js';
import type { SecretsReport } from '../../src/cli/commands/secrets.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAIL = `mail:${join(root, 'test', 'fixtures', 'mail')}`;
const main = join(root, 'dist', 'src', 'cli', 'main.js');

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = bufferIO();
  const code = await runCli(args, io);
  return { code, out: io.stdout(), err: io.stderr() };
}

describe('dp-canary secrets', () => {
  it('--json prints the report: settings, totals, summary and every secret with its occurrences', async () => {
    const r = await cli(['secrets', '--corpus', MAIL, '--json', '--context-chars', '20']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out) as SecretsReport;
    expect(report).toMatchObject({
      corpus: MAIL, corpusFormat: 'mail', kinds: ['phone', 'card', 'ssn', 'ipv4'], formats: [], includeHeaders: false,
      contextChars: 20, minOccurrences: 1, documents: 7, users: 4,
    });
    expect(report.seconds).toBeGreaterThan(0);
    const alice = report.secrets.find((s) => s.text === '(617) 555-0134')!;
    expect(alice).toMatchObject({ kind: 'phone', format: '({digits:3}) {digits:3}-{digits:4}', documents: 3, users: 1 });
    expect(alice.occurrences[0]).toEqual({ document: '01-alice.eml', user: 'alice@example.com', line: 4, column: 7, context: 'lice Example\nPhone: ' });
    expect(report.summary.map((k) => [k.kind, k.distinct])).toEqual([['phone', 8], ['card', 1], ['ssn', 1], ['ipv4', 1]]);
  });

  it('the table: one row per secret with occurrences, documents, users and log2|R|, then a summary per kind', async () => {
    const r = await cli(['secrets', '--corpus', MAIL, '--kinds', 'phone,card', '--min-occurrences', '1']);
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^scanned mail:.*: 7 documents, 4 users, \d+ lines, \d+ characters in \d+\.\d s$/);
    expect(lines[1]).toMatch(/kind\s+secret\s+occurrences\s+documents\s+users\s+log2\|R\| \(bits\)/);
    expect(lines[2]).toMatch(/^ {2}phone {3}\(617\) 555-0134\s+3\s+3\s+1\s+33\.22$/);
    expect(lines).toContain('  card    1 distinct, 1 occurrences; 1 written by one user only, 1 in one document only');
    expect(r.out).not.toMatch(/\bssn\b|\bipv4\b/);
    const few = await cli(['secrets', '--corpus', MAIL, '--kinds', 'phone', '--rows', '2']);
    expect(few.out).toContain('(6 more not shown: --json or --out lists all)');
  });

  it('--format finds a custom format (alone unless --kinds is given); --include-headers scans headers', async () => {
    const custom = JSON.parse((await cli(['secrets', '--corpus', MAIL, '--format', 'Phone: (617) 555-{digits:4}', '--json'])).out) as SecretsReport;
    expect(custom.kinds).toEqual(['custom']);
    expect(custom.secrets.map((s) => [s.kind, s.text, s.occurrences.length])).toEqual([['custom', 'Phone: (617) 555-0134', 3]]);
    expect(custom.secrets[0]!.format).toBe('Phone: (617) 555-{digits:4}');
    const both = JSON.parse((await cli(['secrets', '--corpus', MAIL, '--kinds', 'ssn', '--format', 'mine is {set:0123456789-:11}', '--json'])).out) as SecretsReport;
    expect(both.secrets.map((s) => [s.kind, s.text])).toEqual([['ssn', '536-22-8437'], ['custom', 'mine is 536-22-8437']]);
    const headers = JSON.parse((await cli(['secrets', '--corpus', MAIL, '--kinds', 'ipv4', '--include-headers', '--json'])).out) as SecretsReport;
    expect(headers.secrets.map((s) => s.text)).toEqual(['10.0.0.7', '192.0.2.10']);
  });

  it('--out writes the same report as JSON atomically (no temporary file left)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dpc-secrets-'));
    const out = join(dir, 'sub', 'secrets.json');
    const r = await cli(['secrets', '--corpus', MAIL, '--out', out, '--max-documents', '3']);
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8')) as SecretsReport;
    expect(report.documents).toBe(3);
    expect(report.secrets.map((s) => s.text)).toEqual(['(617) 555-0134', '10.0.0.7']);
    expect(readdirSync(join(dir, 'sub'))).toEqual(['secrets.json']);
  });

  it.each([
    ['a missing path', ['--corpus', '/no/such/dir'], /corpus path '\/no\/such\/dir' does not exist/],
    ['a missing mail folder', ['--corpus', 'mail:/no/such/dir'], /mail corpus path/],
    ['an unknown kind', ['--corpus', MAIL, '--kinds', 'phone,iban'], /unknown secret kind 'iban'/],
    ['a bad format', ['--corpus', MAIL, '--format', 'my pin is {digit:4}'], /unknown alphabet 'digit'/],
    ['a format without a slot', ['--corpus', MAIL, '--format', 'no slot'], /has no secret slot/],
    ['a non-integer N', ['--corpus', MAIL, '--context-chars', '1.5'], /--context-chars must be an integer >= 0/],
    ['a zero minimum', ['--corpus', MAIL, '--min-occurrences', '0'], /--min-occurrences must be an integer >= 1/],
    ['text as N', ['--corpus', MAIL, '--max-documents', 'all'], /--max-documents must be a finite number/],
    ['headers of a text corpus', ['--corpus', 'brown', '--include-headers'], /headers exist only in mail corpora/],
    ['an unknown SpamAssassin part', ['--corpus', 'spam-assassin:all'], /spam-assassin:ham or spam-assassin:spam/],
    ['no corpus', [], /required option '--corpus <name>' not specified/],
  ])('bad input (%s): one line on stderr, exit 2, nothing written', async (_what, args, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'dpc-secrets-bad-'));
    const r = await cli(['secrets', ...args, '--out', join(dir, 'out.json')]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(message);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('as a process: bad input is one line and exit 2; tfjs is never loaded; --help explains the units', () => {
    const bad = spawnSync(process.execPath, [main, 'secrets', '--corpus', MAIL, '--kinds', 'pin'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toBe("dp-canary: unknown secret kind 'pin' (choose from phone, card, ssn, ipv4; a format of your own goes in --format)\n");
    // Scanning needs no tfjs: the command never loads it (about half a second and 100 MB saved).
    const probe = `
      import { createRequire } from 'node:module';
      const { runCli } = await import(${JSON.stringify(join(root, 'dist', 'src', 'cli', 'program.js'))});
      const code = await runCli(['secrets', '--corpus', ${JSON.stringify(MAIL)}, '--json'], { out() {}, err() {}, interactive: false });
      const tfjs = Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('@tensorflow')) || '_tfengine' in globalThis;
      process.stdout.write(JSON.stringify({ code, tfjs }));`;
    expect(JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8' }))).toEqual({ code: 0, tfjs: false });
    const help = execFileSync(process.execPath, [main, 'secrets', '--help'], { encoding: 'utf8' });
    for (const words of ['--context-chars', 'characters of text kept before each occurrence', '--min-occurrences', 'spam-assassin:ham', 'mail:DIR']) {
      expect(help).toContain(words);
    }
  });

  it('streams: a 64 MB text file is scanned with a 32 MB heap, which cannot hold the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dpc-secrets-big-'));
    const big = join(dir, 'big.txt');
    const fd = openSync(big, 'w');
    const block = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore.\n'.repeat(10_000);
    for (let i = 0; i < 64; i++) {
      writeSync(fd, block);
      if (i === 40) writeSync(fd, 'call (617) 555-0134 now\n');
    }
    writeSync(fd, 'last line: +44 20 7946 0958');
    closeSync(fd);
    const heap = '--max-old-space-size=32';
    const scan = spawnSync(process.execPath, [heap, main, 'secrets', '--corpus', big, '--kinds', 'phone', '--json'], { encoding: 'utf8' });
    expect(scan.stderr).toBe('');
    expect(scan.status).toBe(0);
    const report = JSON.parse(scan.stdout) as SecretsReport;
    expect(report.chars).toBeGreaterThan(64e6);
    expect(report.secrets.map((s) => [s.text, s.occurrences[0]!.line])).toEqual([['(617) 555-0134', 410_000], ['+44 20 7946 0958', 640_001]]);
    // The control: reading the file whole does not fit in the same heap.
    const whole = spawnSync(process.execPath, [heap, '-e', `require('fs').readFileSync(${JSON.stringify(big)}, 'utf8').split('\\n')`], { encoding: 'utf8' });
    expect(whole.status).not.toBe(0);
    expect(existsSync(big)).toBe(true);
  }, 60_000);
});
