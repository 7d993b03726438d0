import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/program.js';
import { bufferIO } from '../../src/cli/io.js';
import { ledgerEpsilon, PrivacyLedger } from '../../src/accountant/index.js';
import { tinyCorpus } from '../helpers/tiny-corpus.js';
import { buildGrid, resolveStudyConfig } from '../../src/study/grid.js';
import { runStudy } from '../../src/study/runner.js';
import { runStudyPoint } from '../../src/study/run-point.js';
import { renderMarkdown } from '../../src/study/markdown.js';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = bufferIO();
  const code = await runCli(args, io);
  return { code, out: io.stdout(), err: io.stderr() };
}

const MODEL = ['--hidden-size', '12', '--embedding-dim', '6', '--seq-length', '24', '--epochs', '1', '--seed', '2', '--no-exposure'];
const CANARY = ['--canary-format', 'my pin is {digits:3}', '--insertions', '1,4'];

describe('train with a privacy unit larger than a window', () => {
  let dir: string;
  let corpus: string;
  beforeAll(() => {
    // 8 users, one folder each, 2 documents each.
    dir = mkdtempSync(join(tmpdir(), 'dpc-unit-cli-'));
    corpus = join(dir, 'mail');
    const lines = tinyCorpus(320).trim().split('\n');
    for (let u = 0; u < 8; u++) {
      mkdirSync(join(corpus, `user${u}`), { recursive: true });
      for (let d = 0; d < 2; d++) writeFileSync(join(corpus, `user${u}`, `${d}.txt`), lines.slice((u * 2 + d) * 20, (u * 2 + d + 1) * 20).join('\n') + '\n');
    }
  });

  it('reports epsilon per user, the accountant\'s value for q = batch / users', async () => {
    const out = join(dir, 'user');
    const r = await cli(['train', '--out', out, '--corpus', corpus, ...MODEL, ...CANARY, '--privacy-unit', 'user', '--user-pattern', '^([^/]+)/',
      '--unit-windows', '2', '--batch-size', '3', '--target-epsilon', '4', '--delta', '1e-3', '--json']);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(0);
    const m = JSON.parse(r.out);
    expect(m.privacyUnit).toBe('user');
    // The split is by document: the training users are those with a training document.
    expect(m.trainUnits).toBeGreaterThanOrEqual(6);
    expect(m.samplingRate).toBe(3 / m.trainUnits);
    const want = ledgerEpsilon(PrivacyLedger.empty().compose({ samplingRate: m.samplingRate, noiseMultiplier: m.noiseMultiplier, count: m.steps }), 1e-3).epsilon;
    expect(m.epsilon).toBe(want);
    expect(m.epsilon).toBeLessThanOrEqual(4);
    const text = await cli(['train', '--out', join(dir, 'user-text'), '--corpus', corpus, ...MODEL, ...CANARY, '--privacy-unit', 'user',
      '--user-pattern', '^([^/]+)/', '--batch-size', '3', '--target-epsilon', '4', '--delta', '1e-3']);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/privacy: epsilon = [\d.]+ \(nats\) per user at delta = 0\.001/);
    expect(text.out).toMatch(/users, at most 4 windows of each per step/);
  });

  it('a window-level run on the same corpus names the largest user and its group figure', async () => {
    const r = await cli(['train', '--out', join(dir, 'window'), '--corpus', corpus, ...MODEL, ...CANARY, '--user-pattern', '^([^/]+)/',
      '--batch-size', '8', '--target-epsilon', '4', '--delta', '1e-3']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/epsilon = [\d.]+ \(nats\) per window/);
    expect(r.out).toMatch(/group privacy: no guarantee for a group of \d+ windows, the largest user \('user\d'/);
  });

  it.each([
    [['--privacy-unit', 'user', '--target-epsilon', '4'], /document 'user0\/0.txt' has no user/],
    [['--privacy-unit', 'person', '--target-epsilon', '4'], /--privacy-unit must be window, document, user; got 'person'/],
    [['--privacy-unit', 'user', '--user-pattern', '^([^/]+)/'], /applies to DP-SGD runs/],
    [['--privacy-unit', 'document', '--unit-windows', '0', '--target-epsilon', '4'], /--unit-windows must be an integer >= 1/],
    [['--unit-windows', '2', '--target-epsilon', '4'], /--unit-windows applies to --privacy-unit document or user/],
    [['--privacy-unit', 'user', '--user-pattern', 'user\\d', '--target-epsilon', '4'], /needs a capture group/],
    [['--privacy-unit', 'user', '--user-map', 'missing.tsv', '--target-epsilon', '4'], /cannot read the user map/],
    [['--privacy-unit', 'user', '--user-pattern', '^([^/]+)/', '--insertions', '500', '--target-epsilon', '4'], /no unit is big enough/],
  ])('bad input %j: one line, exit 2, nothing written', async (args, message) => {
    const out = join(dir, `bad-${Math.random().toString(36).slice(2)}`);
    const r = await cli(['train', '--out', out, '--corpus', corpus, ...MODEL, '--canary-format', 'my pin is {digits:3}', ...args]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.out).toBe('');
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
  });

  it('a study holds a window-level and a user-level DP point side by side on the same data', async () => {
    const cfg = resolveStudyConfig('quick', {
      corpus, corpusMaxChars: 1e9, modes: ['scratch'], mitigations: ['none', 'dp'], dpEpsilons: [8], privacyUnits: ['window', 'user'],
      userPattern: '^([^/]+)/', unitWindows: 2, dpRecipe: { batchSize: 3, learningRate: 0.02, epochs: 1, clip: 0.5 }, epochs: 1,
      insertions: [1, 4], canaryFormat: 'my pin is {digits:3}', hiddenSize: 12, embeddingDim: 6, seqLength: 24, exposureEachEpoch: false,
    });
    const points = buildGrid(cfg);
    expect(points.map((p) => p.id)).toEqual(['none-seed1', 'dp-eps8-seed1', 'dp-eps8-user-seed1']);
    const report = await runStudy(points, runStudyPoint, { outDir: join(dir, 'study') });
    const byId = new Map(report.points.map((r) => [r.id, r]));
    for (const r of report.points) expect(r.status, r.status === 'failed' ? r.error : r.id).toBe('ok');
    const user = byId.get('dp-eps8-user-seed1')!;
    const window = byId.get('dp-eps8-seed1')!;
    if (user.status !== 'ok' || window.status !== 'ok') return;
    expect(user.privacyUnit).toBe('user');
    expect(window.privacyUnit).toBe('window');
    expect(window.groupPrivacy?.unit).toBe('user');
    expect(user.groupPrivacy).toBeUndefined();
    // Same data for every point: the canaries sit in the same users.
    const manifest = (id: string): unknown => JSON.parse(readFileSync(join(dir, 'study', 'runs', id, 'manifest.json'), 'utf8'));
    expect(manifest('dp-eps8-user-seed1')).toEqual(manifest('dp-eps8-seed1'));
    expect(manifest('none-seed1')).toEqual(manifest('dp-eps8-seed1'));
    const md = renderMarkdown(report);
    expect(md).toMatch(/\| dp-eps8-user-seed1 \| scratch \| DP-SGD ε=8 per user \|.*\| [\d.]+ per user \| [\d.]+ \(the unit\) \|/);
    expect(md).toMatch(/\| dp-eps8-seed1 \| scratch \| DP-SGD ε=8 per window \|.*\| [\d.]+ per window \| no guarantee \(user of \d+ windows\) \|/);
  }, 300_000);
});
