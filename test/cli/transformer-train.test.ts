import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/program.js';
import { bufferIO } from '../../src/cli/io.js';
import { trainRun } from '../../src/pipeline/train-run.js';
import { readRunRecord, runPath } from '../../src/pipeline/run-folder.js';
import { TRANSFORMER_VARIANTS } from '../../src/study/config.js';
import { resolveStudyConfig } from '../../src/study/grid.js';
import { readJobFile } from '../../src/study/jobs.js';
import { tinyCorpus } from '../helpers/tiny-corpus.js';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = bufferIO();
  const code = await runCli(args, io);
  return { code, out: io.stdout(), err: io.stderr() };
}

// A tiny transformer: width 16, 2 heads, 1 block, FFN 32, windows of 16 tokens.
const MODEL = ['--cell', 'transformer', '--hidden-size', '16', '--heads', '2', '--layers', '1', '--ffn-size', '32', '--seq-length', '16', '--batch-size', '16', '--max-chars', '6000'];
const CANARY = ['--canary-format', 'my pin is {digits:2}', '--insertions', '1,8'];

const modelJson = (run: string): { config: Record<string, unknown>; weights: Array<{ name: string; data: string }> } => JSON.parse(readFileSync(join(run, 'model.json'), 'utf8'));

describe('train --cell transformer through the CLI', () => {
  let dir: string;
  let corpus: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dpc-tf-'));
    corpus = join(dir, 'tiny.txt');
    writeFileSync(corpus, tinyCorpus(300));
  });

  it('trains with DP-SGD into a run folder whose model is the transformer asked for, and measures exposure', async () => {
    const run = join(dir, 'dp');
    const r = await cli(['train', '--out', run, '--corpus', corpus, ...MODEL, ...CANARY, '--epochs', '1', '--seed', '3', '--target-epsilon', '5', '--delta', '1e-4', '--json']);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(0);
    for (const f of ['run.json', 'model.json', 'ledger.json', 'metrics.json', 'checkpoint.json', 'exposure.json']) expect(existsSync(join(run, f)), f).toBe(true);
    const m = JSON.parse(r.out);
    expect(m.private).toBe(true);
    expect(m.epsilon).toBeLessThanOrEqual(5);
    expect(Number.isFinite(m.validationLoss)).toBe(true);
    expect(m.exposure.canaries.length).toBe(2);
    expect(modelJson(run).config).toMatchObject({ cell: 'transformer', hiddenSize: 16, embeddingDim: 16, heads: 2, layers: 1, ffnSize: 32, maxLength: 16 });
    expect(modelJson(run).weights.map((w) => w.name)).toContain('block0/attn/Wqkv');
  });

  it('defaults to 2 blocks, 4 heads, FFN 4 x width and embedding = width', async () => {
    const run = join(dir, 'defaults');
    const r = await cli(['train', '--out', run, '--corpus', corpus, '--cell', 'transformer', '--hidden-size', '8', '--seq-length', '12', ...CANARY, '--max-chars', '3000', '--epochs', '0.2', '--seed', '1', '--no-exposure', '--json']);
    expect(r.code, r.err).toBe(0);
    expect(modelJson(run).config).toMatchObject({ cell: 'transformer', hiddenSize: 8, embeddingDim: 8, heads: 4, layers: 2, ffnSize: 32, maxLength: 12 });
  });

  it('refuses, before training, canaries longer than the position table (a line break, "my pin is " and 2 digits need 12)', async () => {
    const r = await cli(['train', '--out', join(dir, 'short'), '--corpus', corpus, '--cell', 'transformer', '--hidden-size', '8', '--seq-length', '11', ...CANARY, '--max-chars', '3000', '--epochs', '0.2', '--seed', '1']);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n').length, r.err).toBe(1);
    expect(r.err).toMatch(/needs 12 positions.*--seq-length 12/);
    expect(existsSync(join(dir, 'short', 'model.json'))).toBe(false);
  });

  it('fine-tunes from a transformer run with --init-from, and refuses another shape in one line', async () => {
    const from = join(dir, 'dp');
    const run = join(dir, 'ft');
    const r = await cli(['train', '--out', run, '--corpus', corpus, '--init-from', from, '--seq-length', '16', '--batch-size', '16', '--max-chars', '6000', ...CANARY, '--epochs', '1', '--seed', '4', '--no-exposure', '--json']);
    expect(r.code, r.err).toBe(0);
    expect(modelJson(run).config).toEqual(modelJson(from).config);
    expect(readRunRecord(run).config.cell).toBe('transformer');
    for (const bad of [['--hidden-size', '24', '--heads', '2'], ['--heads', '4'], ['--seq-length', '20'], ['--cell', 'lstm']]) {
      const x = await cli(['train', '--out', join(dir, 'ft-bad'), '--corpus', corpus, '--init-from', from, '--seq-length', '16', '--max-chars', '6000', ...CANARY, '--epochs', '1', '--no-exposure', ...bad]);
      expect(x.code, bad.join(' ')).toBe(2);
      expect(x.err.trim().split('\n').length, x.err).toBe(1);
    }
  });

  it('refuses a bad transformer shape with one line and exit code 2', async () => {
    for (const bad of [['--heads', '3'], ['--embedding-dim', '8'], ['--cell', 'mamba'], ['--cell', 'lstm', '--heads', '2']]) {
      const x = await cli(['train', '--out', join(dir, 'bad'), '--corpus', corpus, ...MODEL, ...bad]);
      expect(x.code, bad.join(' ')).toBe(2);
      expect(x.err.trim().split('\n').length, x.err).toBe(1);
    }
  });

  it('trains data-parallel on 2 threads to the one-thread result', async () => {
    const args = (out: string, threads: string): string[] => ['train', '--out', join(dir, out), '--corpus', corpus, ...MODEL, ...CANARY, '--epochs', '1', '--seed', '5', '--target-epsilon', '4', '--delta', '1e-4', '--threads', threads, '--no-exposure', '--json'];
    const one = await cli(args('t1', '1'));
    const two = await cli(args('t2', '2'));
    expect([one.code, two.code], two.err).toEqual([0, 0]);
    const a = JSON.parse(one.out);
    const b = JSON.parse(two.out);
    expect([a.threads, b.threads]).toEqual([1, 2]);
    for (const k of ['epsilon', 'noiseMultiplier', 'samplingRate', 'steps']) expect(b[k], k).toBe(a[k]);
    expect(b.validationLoss).toBeCloseTo(a.validationLoss, 4);
  });
});

describe('study --cell transformer', () => {
  it('makes every point of a preset a transformer (defaults as for train), and the job files validate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dpc-tf-study-'));
    const r = await cli(['study', '--quick', '--cell', 'transformer', '--heads', '2', '--write-jobs', join(dir, 'jobs'), '--out', join(dir, 'out')]);
    expect(r.code, r.err).toBe(0);
    const files = readdirSync(join(dir, 'jobs')).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    // The preset's transformer variant: its shape (heads as given) and its own recipes.
    const variant = TRANSFORMER_VARIANTS.quick!;
    const width = variant.hiddenSize!;
    for (const f of files) {
      const job = readJobFile(join(dir, 'jobs', f));
      expect(job).toMatchObject({ cell: 'transformer', heads: 2, layers: variant.layers, hiddenSize: width, embeddingDim: width, ffnSize: variant.ffnSize });
      expect(job.fineTuneDpRecipe).toEqual(variant.fineTuneDpRecipe);
    }
    const bad = await cli(['study', '--quick', '--heads', '2', '--write-jobs', join(dir, 'jobs2'), '--out', join(dir, 'out2')]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--heads and --ffn-size apply to --cell transformer/);
  });
});

describe('trainRun of a transformer: kill and resume (seeded)', () => {
  it('the resumed DP run ends with the weights and metrics of an uninterrupted one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dpc-tf-run-'));
    const corpus = join(dir, 'tiny.txt');
    writeFileSync(corpus, tinyCorpus(300));
    const c = {
      ...resolveStudyConfig('quick').shared,
      corpus,
      corpusMaxChars: 5000,
      cell: 'transformer' as const,
      hiddenSize: 16,
      embeddingDim: 16,
      layers: 1,
      heads: 2,
      ffnSize: 32,
      seqLength: 16,
      batchSize: 16,
      epochs: 3,
      canaryFormat: 'my pin is {digits:2}',
      insertions: [1, 4],
      exposureEachEpoch: false,
      exposureReferences: 50,
      mode: 'scratch' as const,
      mitigation: 'dp' as const,
      targetEpsilon: 4,
      dropout: 0,
      weightDecay: 0,
      seed: 7,
    };
    const whole = await trainRun(c, join(dir, 'whole'));
    whole.model.dispose();
    const cut = join(dir, 'cut');
    await expect(trainRun(c, cut, { onEpoch: (e) => { if (e.epoch === 2) throw new Error('killed'); } })).rejects.toThrow('killed');
    const resumed = await trainRun(c, cut, { resume: true });
    resumed.model.dispose();
    expect({ ...resumed.metrics, trainSeconds: 0 }).toEqual({ ...whole.metrics, trainSeconds: 0 });
    expect(readFileSync(runPath(cut, 'model'), 'utf8')).toBe(readFileSync(runPath(join(dir, 'whole'), 'model'), 'utf8'));
  });
});
