import { beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/program.js';
import { bufferIO } from '../../src/cli/io.js';
import { tinyCorpus } from '../helpers/tiny-corpus.js';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = bufferIO();
  const code = await runCli(args, io);
  return { code, out: io.stdout(), err: io.stderr() };
}

const MODEL = ['--hidden-size', '24', '--embedding-dim', '8', '--seq-length', '24', '--batch-size', '16', '--max-chars', '8000'];
const CANARIES = ['--canary-format', 'my pin is {digits:3}', '--insertions', '1', '--no-exposure'];
const AUDIT = ['--audit-canaries', '60', '--audit-repeats', '4', '--audit-format', 'key {digits:12}'];

describe('dp-canary audit (one-run privacy audit) end to end', () => {
  let dir: string;
  let corpus: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dpc-audit-'));
    corpus = join(dir, 'tiny.txt');
    writeFileSync(corpus, tinyCorpus(400));
  });

  it('a non-private run on small data gets a clearly positive lower bound; claimed epsilon is "Infinity"', async () => {
    const run = join(dir, 'plain');
    const t = await cli(['train', '--out', run, '--corpus', corpus, ...MODEL, ...CANARIES, ...AUDIT, '--epochs', '6', '--learning-rate', '0.02', '--seed', '2', '--json']);
    expect(t.code, t.err).toBe(0);
    const r = await cli(['audit', '--run', run, '--json']);
    expect(r.code, r.err).toBe(0);
    const a = JSON.parse(r.out);
    expect(a.claimedEpsilon).toBe('Infinity');
    expect(a.confidence).toBe(0.95);
    expect(a.delta).toBe(JSON.parse(t.out).delta);
    expect(a.auditCanaries).toBe(60);
    expect(a.unitsPerCanary).toBe(4);
    expect(a.correctGuesses).toBeLessThanOrEqual(a.guesses);
    expect(a.guesses).toBe(a.guessesIncluded + a.guessesExcluded);
    expect(a.meanLogPerplexityIncluded).toBeLessThan(a.meanLogPerplexityExcluded);
    expect(a.epsilonLowerBound).toBeGreaterThan(0.1);
    expect(JSON.parse(readFileSync(join(run, 'audit.json'), 'utf8')).epsilonLowerBound).toBe(a.epsilonLowerBound);
    const text = await cli(['audit', '--run', run, '--confidence', '0.99']);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/epsilon lower bound = \d+\.\d{4} \(nats, per one training window/);
  });

  it('a DP run\'s lower bound does not exceed its claimed epsilon', async () => {
    const run = join(dir, 'dp');
    const t = await cli(['train', '--out', run, '--corpus', corpus, ...MODEL, ...CANARIES, ...AUDIT, '--epochs', '3', '--learning-rate', '0.02',
      '--target-epsilon', '2', '--delta', '1e-4', '--seed', '2', '--json']);
    expect(t.code, t.err).toBe(0);
    const r = await cli(['audit', '--run', run, '--json']);
    expect(r.code, r.err).toBe(0);
    const a = JSON.parse(r.out);
    expect(a.claimedEpsilon).toBeCloseTo(JSON.parse(t.out).epsilon, 12);
    expect(a.delta).toBe(1e-4);
    expect(a.epsilonLowerBound).toBeGreaterThanOrEqual(0);
    expect(a.epsilonLowerBound).toBeLessThanOrEqual(a.claimedEpsilon);
  });

  it('a run without audit canaries, a missing folder and a bad confidence are one-line errors, exit 2', async () => {
    const run = join(dir, 'no-audit');
    mkdirSync(run);
    const manifest = JSON.parse(readFileSync(join(dir, 'plain', 'manifest.json'), 'utf8'));
    delete manifest.audit;
    writeFileSync(join(run, 'manifest.json'), JSON.stringify(manifest));
    for (const args of [['--run', run], ['--run', join(dir, 'nowhere')], ['--run', join(dir, 'plain'), '--confidence', '1.5']]) {
      const r = await cli(['audit', ...args]);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err.trim().split('\n')).toHaveLength(1);
    }
    expect((await cli(['audit', '--run', run])).err).toMatch(/trained without audit canaries/);
    const t = await cli(['train', '--out', join(dir, 'x'), '--corpus', corpus, '--audit-repeats', '2']);
    expect(t.code).toBe(2);
    expect(t.err).toMatch(/need --audit-canaries/);
  });
});
