import { beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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

const MODEL = ['--hidden-size', '24', '--embedding-dim', '8', '--seq-length', '24', '--batch-size', '16', '--max-chars', '12000'];
const CANARY = ['--canary-format', 'my pin is {digits:3}', '--insertions', '1,16'];

describe('end to end through the CLI: train -> exposure -> extract -> study', () => {
  let dir: string;
  let corpus: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dpc-e2e-'));
    corpus = join(dir, 'tiny.txt');
    writeFileSync(corpus, tinyCorpus(600));
  });

  it('trains privately; the ledger epsilon equals an independent `dp-canary epsilon` of the same run', async () => {
    const run = join(dir, 'dp');
    const r = await cli(['train', '--out', run, '--corpus', corpus, ...MODEL, ...CANARY, '--epochs', '2', '--seed', '3',
      '--target-epsilon', '5', '--delta', '1e-4', '--json']);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(0);
    const m = JSON.parse(r.out);
    for (const f of ['run.json', 'tokenizer.json', 'manifest.json', 'model.json', 'ledger.json', 'metrics.json', 'checkpoint.json', 'exposure.json']) {
      expect(existsSync(join(run, f)), f).toBe(true);
    }
    expect(m.private).toBe(true);
    expect(m.epsilon).toBeLessThanOrEqual(5);
    expect(m.epsilon).toBeGreaterThan(4); // calibrated to spend (nearly) the whole budget
    expect(m.steps).toBeGreaterThan(0);
    const e = await cli(['epsilon', '--sampling-rate', String(m.samplingRate), '--noise-multiplier', String(m.noiseMultiplier),
      '--steps', String(m.steps), '--delta', '1e-4', '--json']);
    expect(e.code).toBe(0);
    expect(JSON.parse(e.out).epsilon).toBeCloseTo(m.epsilon, 9);
    const ledger = JSON.parse(readFileSync(join(run, 'ledger.json'), 'utf8'));
    expect(ledger.epsilon).toBeCloseTo(m.epsilon, 12);
    expect(ledger.ledger.events.reduce((s: number, ev: { count: number }) => s + ev.count, 0)).toBe(m.steps);
    // The PLD accountant's figure is recorded beside RDP's, equals `epsilon --accountant pld`, and is not above it.
    expect(ledger.epsilonPld).toBe(m.epsilonPld);
    expect(m.epsilonPld).toBeLessThanOrEqual(m.epsilon);
    const p = await cli(['epsilon', '--sampling-rate', String(m.samplingRate), '--noise-multiplier', String(m.noiseMultiplier),
      '--steps', String(m.steps), '--delta', '1e-4', '--accountant', 'pld', '--json']);
    expect(JSON.parse(p.out).epsilon).toBe(m.epsilonPld);
  });

  it('trains data-parallel on 2 threads to the one-thread result (privacy identical, the rest up to rounding)', async () => {
    const args = (out: string, threads: string): string[] => ['train', '--out', join(dir, out), '--corpus', corpus, ...MODEL, ...CANARY,
      '--epochs', '1', '--seed', '5', '--target-epsilon', '4', '--delta', '1e-4', '--threads', threads, '--json'];
    const one = await cli(args('t1', '1'));
    const two = await cli(args('t2', '2'));
    expect(two.err).not.toMatch(/\n\s+at /);
    expect([one.code, two.code]).toEqual([0, 0]);
    const a = JSON.parse(one.out);
    const b = JSON.parse(two.out);
    expect([a.threads, b.threads]).toEqual([1, 2]);
    for (const k of ['epsilon', 'epsilonPld', 'noiseMultiplier', 'samplingRate', 'steps']) expect(b[k], k).toBe(a[k]);
    expect(b.validationLoss).toBeCloseTo(a.validationLoss, 4);
    // Exact exposure over |R| = 1000, enumerated on the workers.
    expect(b.exposure.method).toBe('exact');
    b.exposure.canaries.forEach((c: { exposure: number }, i: number) => expect(c.exposure).toBeCloseTo(a.exposure.canaries[i].exposure, 3));
    const text = await cli(['train', '--out', join(dir, 't3'), '--corpus', corpus, ...MODEL, ...CANARY, '--epochs', '1', '--seed', '5',
      '--no-exposure', '--threads', '2']);
    expect(text.out).toMatch(/2 threads data-parallel/);
    // --no-exposure skips the per-epoch exposure estimates too.
    const history = JSON.parse(readFileSync(join(dir, 't3', 'history.json'), 'utf8')) as { exposure: Record<string, number> }[];
    expect(history.length).toBeGreaterThan(0);
    for (const e of history) expect(e.exposure).toEqual({});
  });

  it('trains without DP, memorizes, and exact exposure agrees with the extraction order', async () => {
    const run = join(dir, 'plain');
    const r = await cli(['train', '--out', run, '--corpus', corpus, ...MODEL, ...CANARY, '--epochs', '6', '--seed', '3',
      '--learning-rate', '0.02', '--json']);
    expect(r.code).toBe(0);
    const m = JSON.parse(r.out);
    expect(m.private).toBe(false);
    expect(m.epsilon).toBe('Infinity');
    expect(m.epsilonPld).toBe('Infinity');

    const ex = await cli(['exposure', '--run', run, '--json']);
    expect(ex.code).toBe(0);
    const exposure = JSON.parse(ex.out);
    expect(exposure.method).toBe('exact');
    expect(exposure.log2R).toBeCloseTo(Math.log2(1000), 12);
    for (const c of exposure.canaries) {
      expect(c.exposure).toBeGreaterThanOrEqual(0);
      expect(c.exposure).toBeLessThanOrEqual(exposure.log2R + 1e-12);
      // exposure = log2 |R| - log2 rank, with rank an integer in [1, |R|]
      expect(c.rank).toBe(Math.round(2 ** (exposure.log2R - c.exposure)));
      // The estimates from a random sample of R agree with the exact value on this trained model
      // where the sample can resolve the rank (rank >= 8 of 1000; 10,000 references).
      if (c.rank >= 8) {
        expect(Math.abs(c.interpolation - c.exposure), c.name).toBeLessThan(1);
        expect(Math.abs(c.extrapolation - c.exposure), c.name).toBeLessThan(1.5);
      }
    }
    // Exposure from the run folder is the one `train` measured (same model, same procedure).
    const saved = JSON.parse(readFileSync(join(run, 'exposure.json'), 'utf8'));
    expect(saved.canaries.map((c: { exposure: number }) => c.exposure)).toEqual(exposure.canaries.map((c: { exposure: number }) => c.exposure));

    // Exhaustive extraction lists all of R in nondecreasing log-perplexity; a canary's position
    // is at most its exact rank (ties count against the canary in the rank).
    const x = await cli(['extract', '--run', run, '--top', '1000', '--max-queries', '1000000', '--json']);
    expect(x.code).toBe(0);
    const found = JSON.parse(x.out);
    expect(found.candidates).toHaveLength(1000);
    for (let i = 1; i < found.candidates.length; i++) {
      expect(found.candidates[i].logPerplexityBits).toBeGreaterThanOrEqual(found.candidates[i - 1].logPerplexityBits - 1e-9);
    }
    for (const c of exposure.canaries) {
      const pos = found.canaries.find((k: { name: string }) => k.name === c.name).rank;
      expect(pos).toBeLessThanOrEqual(c.rank);
      expect(found.candidates[pos - 1].logPerplexityBits).toBeCloseTo(c.logPerplexityBits, 6);
    }
    // The canary inserted 16 times is memorized far beyond a random candidate (about 1.44 bits).
    const most = exposure.canaries.find((c: { insertions: number }) => c.insertions === 16);
    expect(most.exposure).toBeGreaterThan(4);
  });

  it('runs a study, writes consistent reports, and resumes without retraining', async () => {
    const out = join(dir, 'study');
    const args = ['study', '--quick', '--out', out, '--corpus', corpus, '--max-chars', '8000', '--epochs', '1',
      '--mitigations', 'none,dp,sanitize', '--epsilons', '4', '--insertions', '1,8', '--public-max-chars', '20000', '--json'];
    const r = await cli(args);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.out);
    expect(summary.failed).toEqual([]);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    // Both modes: the public model (here from Brown, the default public corpus), fine-tuned points and from-scratch ones.
    expect(report.points.map((p: { id: string }) => p.id).sort()).toEqual(
      ['dp-eps4-seed1', 'ft-dp-eps4-seed1', 'ft-none-seed1', 'ft-sanitize-seed1', 'none-seed1', 'public', 'sanitize-seed1'],
    );
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    for (const p of report.points) {
      expect(p.status).toBe('ok');
      if (p.point.mitigation === 'dp') expect(p.epsilon).toBeLessThanOrEqual(4);
      else if (p.point.mode === 'public') expect(p.epsilon).toBe(0); // it never saw the private text
      else expect(p.epsilon).toBe('Infinity');
      if (p.point.mode === 'fine-tune') expect(p.startingPoint).toBe('public');
      if (p.point.mitigation === 'sanitize') expect(p.sanitizedLines).toBe(9); // 1 + 8 canary lines removed
      for (const c of p.canaries) {
        expect(c.exposure).toBeGreaterThanOrEqual(0);
        expect(c.exposure).toBeLessThanOrEqual(p.log2R + 1e-12);
        expect(md).toContain(c.exposure.toFixed(2));
      }
    }
    // Every point's result in the report is the one in its own result file.
    const again = await cli(args);
    expect(again.code).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).points).toEqual(report.points);
  });

  it('bad input: one line on stderr and exit code 2', async () => {
    // A damaged run folder: manifest missing, then a corrupt model file.
    const broken = join(dir, 'broken');
    mkdirSync(broken);
    for (const f of ['run.json', 'tokenizer.json']) copyFileSync(join(dir, 'plain', f), join(broken, f));
    const corrupt = join(dir, 'corrupt');
    mkdirSync(corrupt);
    for (const f of ['run.json', 'tokenizer.json', 'manifest.json']) copyFileSync(join(dir, 'plain', f), join(corrupt, f));
    writeFileSync(join(corrupt, 'model.json'), '{"format": "dp-canary-model", "version": 1, "config": ');
    const cases: string[][] = [
      ['exposure', '--run', broken],
      ['extract', '--run', corrupt],
      ['exposure', '--run', join(dir, 'plain'), '--canary', 'no-such-canary'],
      ['train', '--corpus', corpus],
      ['train', '--out', join(dir, 'x'), '--corpus', join(dir, 'missing.txt')],
      ['train', '--out', join(dir, 'x'), '--corpus', corpus, '--noise-multiplier', '1', '--target-epsilon', '2'],
      ['train', '--out', join(dir, 'x'), '--corpus', corpus, '--canary-format', 'no slot here'],
      ['train', '--out', join(dir, 'x'), '--corpus', corpus, '--dropout', '1.5'],
      ['train', '--out', join(dir, 'x'), '--corpus', corpus, '--optimizer', 'adamw'],
      ['study', '--quick', '--accountant', 'moments', '--out', join(dir, 's2')],
      ['study', '--preset', 'huge', '--out', join(dir, 's2')],
      ['study', '--quick', '--corpus', join(dir, 'missing.txt'), '--out', join(dir, 's3')],
      ['study', '--quick', '--canary-format', 'the pin is {digits:0}', '--out', join(dir, 's3')],
      ['study', '--mitigations', 'none,prayer', '--out', join(dir, 's2')],
      ['study', '--mode', 'sideways', '--out', join(dir, 's2')],
      ['study', '--quick', '--public-corpus', join(dir, 'missing.txt'), '--out', join(dir, 's4')],
      ['train', '--out', join(dir, 'x'), '--corpus', corpus, '--init-from', join(dir, 'nope')],
      ['train', '--out', join(dir, 'x'), '--corpus', corpus, '--physical-batch-size', '0'],
      ['train', '--out', join(dir, 'x'), '--corpus', corpus, '--threads', '0'],
      ['train', '--out', join(dir, 'x'), '--corpus', corpus, '--threads', 'two'],
      ['extract', '--run', join(dir, 'nope')],
      ['exposure', '--run', join(dir, 'nope')],
    ];
    for (const args of cases) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err.trim().split('\n').length, r.err).toBe(1);
      expect(r.err).not.toMatch(/\n\s+at /);
    }
  });
});
