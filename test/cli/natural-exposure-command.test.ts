import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { bufferIO } from '../../src/cli/io.js';
import type { NaturalSecretsReport } from '../../src/pipeline/natural-secrets.js';
import { SIGNATURE_PHONE, trainNaturalRun } from '../helpers/natural-run.js';

const dir = mkdtempSync(join(tmpdir(), 'dpc-natural-cli-'));

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = bufferIO();
  const code = await runCli(argv, io);
  return { code, out: io.stdout(), err: io.stderr() };
}

describe('dp-canary natural-exposure', () => {
  let run: string;
  let secretsFile: string;
  beforeAll(async () => {
    const trained = await trainNaturalRun(dir, 2);
    run = trained.run;
    secretsFile = join(dir, 'secrets.json');
    writeFileSync(secretsFile, JSON.stringify({ secrets: trained.secrets, corpus: 'mail.txt' }));
  }, 120_000);

  it('--json prints the report, --out writes the same JSON, progress goes to stderr', async () => {
    const out = join(dir, 'result', 'natural.json');
    const r = await cli(['natural-exposure', '--run', run, '--secrets', secretsFile, '--references', '200', '--contexts', '2', '--max-queries', '500', '--json', '--out', out]);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out) as NaturalSecretsReport;
    expect(report.schema).toBe('dp-canary/natural-exposure@1');
    expect(report.secrets.map((s) => s.text)).toEqual([SIGNATURE_PHONE, '(212) 734-9087', '10.4.7']);
    expect(report.secrets[0]!.contexts.length).toBe(2);
    expect(report.settings).toMatchObject({ contexts: 2, references: 200, maxQueries: 500, extractTop: 10 });
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(report);
    expect(r.err.trim().split('\n').length).toBe(3);
    expect(r.err).toMatch(/^\[1\/3\] phone \(617\) 555-1212: exposure [\d.]+ bits \(estimated\)/);
  });

  it('prints a table per kind sorted by occurrences and the summary by occurrences and users', async () => {
    const r = await cli(['natural-exposure', '--run', run, '--secrets', secretsFile, '--references', '100', '--kinds', 'phone', '--max-queries', '0']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/phone: 2 secrets, 2 testable/);
    expect(r.out.indexOf(SIGNATURE_PHONE)).toBeLessThan(r.out.indexOf('(212) 734-9087'));
    expect(r.out).toMatch(/occurrences 16\+ +1 +1 /);
    expect(r.out).toMatch(/users +1 +2 +2 /);
    expect(r.out).toMatch(/extraction not run/);
    expect(r.out).not.toMatch(/ipv4/);
  });

  it('bad input: one line on stderr, exit code 2, nothing written', async () => {
    const out = join(dir, 'never.json');
    const folder = join(dir, 'a-folder');
    mkdirSync(folder);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ secrets: [{ kind: 'phone' }] }));
    const cases: [string[], RegExp][] = [
      [['--secrets', join(dir, 'missing.json')], /secrets file .* does not exist/],
      [['--secrets', bad], /secret 0: "format" must be a non-empty string/],
      [['--secrets', secretsFile, '--kinds', 'phone,email'], /--kinds: unknown kind 'email'/],
      [['--secrets', secretsFile, '--contexts', '0'], /--contexts must be an integer >= 1/],
      [['--secrets', secretsFile, '--max-exact', '-1'], /--max-exact must be >= 0/],
      [['--secrets', secretsFile, '--out', folder], /is a folder/],
    ];
    for (const [args, re] of cases) {
      const r = await cli(['natural-exposure', '--run', run, ...args, ...(args.includes('--out') ? [] : ['--out', out])]);
      expect(r.code, r.err).toBe(2);
      expect(r.err.trim().split('\n').length, r.err).toBe(1);
      expect(r.err).toMatch(re);
      expect(r.out).toBe('');
    }
    const noRun = await cli(['natural-exposure', '--run', join(dir, 'no-run'), '--secrets', secretsFile, '--out', out]);
    expect(noRun.code).toBe(2);
    expect(noRun.err).toMatch(/run folder .* does not exist/);
    expect(existsSync(out)).toBe(false);
  });
});
