import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { bufferIO } from '../../src/cli/io.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tinyCorpus } from '../helpers/tiny-corpus.js';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = bufferIO();
  const code = await runCli(argv, io);
  return { code, out: io.stdout(), err: io.stderr() };
}

async function json(argv: string[]): Promise<Record<string, unknown>> {
  const r = await run(argv);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.out.trim()) as Record<string, unknown>;
}

const SCHEDULE = ['--sampling-rate', '0.01', '--steps', '1000'];

describe('--accountant pld', () => {
  it('epsilon --json keeps the RDP fields, adds the accountant, the interval and the RDP figure', async () => {
    const rdp = await json(['epsilon', ...SCHEDULE, '--noise-multiplier', '1.1', '--delta', '1e-5', '--json']);
    const pld = await json(['epsilon', ...SCHEDULE, '--noise-multiplier', '1.1', '--delta', '1e-5', '--accountant', 'pld', '--json']);
    for (const k of Object.keys(rdp)) expect(Object.keys(pld)).toContain(k);
    expect(pld['accountant']).toBe('pld');
    expect(pld['order']).toBeNull();
    expect(pld['rdpEpsilon']).toBe(rdp['epsilon']);
    expect(pld['epsilon'] as number).toBeLessThan(rdp['epsilon'] as number);
    expect(pld['interval'] as number).toBeGreaterThan(0);
    // delta at that epsilon is back at 1e-5 or below.
    const d = await json(['epsilon', ...SCHEDULE, '--noise-multiplier', '1.1', '--epsilon', String(pld['epsilon']), '--accountant', 'pld', '--json']);
    expect(d['delta'] as number).toBeLessThanOrEqual(1e-5 * (1 + 1e-9));
    expect(d['accountant']).toBe('pld');
  });

  it('a fixed --pld-interval is used; where the PLD cannot certify the output says so and reports RDP', async () => {
    const o = await json(['epsilon', ...SCHEDULE, '--noise-multiplier', '1.1', '--delta', '1e-5', '--accountant', 'pld', '--pld-interval', '0.002', '--json']);
    expect(o['interval']).toBe(0.002);
    const f = await json(['epsilon', ...SCHEDULE, '--noise-multiplier', '1.1', '--delta', '1e-40', '--accountant', 'pld', '--json']);
    expect(f['accountant']).toBe('rdp');
    expect(f['epsilon']).toBe(f['rdpEpsilon']);
    expect(String(f['note'])).toMatch(/cannot certify|below what the PLD/);
    const h = await run(['epsilon', ...SCHEDULE, '--noise-multiplier', '1.1', '--delta', '1e-5', '--accountant', 'pld']);
    expect(h.out).toMatch(/PLD accountant/);
    expect(h.out).toMatch(/RDP accountant: \d/);
  });

  it('calibrate --accountant pld: a smaller sigma than RDP, within the target', async () => {
    const rdp = await json(['calibrate', '--target-epsilon', '1', ...SCHEDULE, '--delta', '1e-5', '--json']);
    const pld = await json(['calibrate', '--target-epsilon', '1', ...SCHEDULE, '--delta', '1e-5', '--accountant', 'pld', '--json']);
    for (const k of Object.keys(rdp)) expect(Object.keys(pld)).toContain(k);
    expect(pld['accountant']).toBe('pld');
    expect(pld['epsilon'] as number).toBeLessThanOrEqual(1);
    expect(pld['noiseMultiplier'] as number).toBeLessThan(rdp['noiseMultiplier'] as number);
  });

  const bad: [string, string[]][] = [
    ['unknown accountant', ['epsilon', ...SCHEDULE, '--noise-multiplier', '1', '--delta', '1e-5', '--accountant', 'moments']],
    ['interval without pld', ['epsilon', ...SCHEDULE, '--noise-multiplier', '1', '--delta', '1e-5', '--pld-interval', '0.01']],
    ['zero interval', ['epsilon', ...SCHEDULE, '--noise-multiplier', '1', '--delta', '1e-5', '--accountant', 'pld', '--pld-interval', '0']],
    ['calibrate unknown accountant', ['calibrate', '--target-epsilon', '1', ...SCHEDULE, '--delta', '1e-5', '--accountant', 'x']],
  ];
  for (const [name, argv] of bad) {
    it(`bad input: ${name} -> one line, exit 2`, async () => {
      const r = await run(argv);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err.trimEnd().split('\n').length).toBe(1);
    });
  }

  it('train --accountant pld calibrates with the PLD accountant and records it; misuse is exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dpc-train-pld-'));
    const corpus = join(dir, 'tiny.txt');
    writeFileSync(corpus, tinyCorpus(300));
    const common = ['--corpus', corpus, '--max-chars', '4000', '--hidden-size', '8', '--embedding-dim', '4', '--seq-length', '16',
      '--batch-size', '32', '--epochs', '1', '--insertions', '1', '--canary-format', 'my pin is {digits:3}', '--seed', '1', '--no-exposure', '--json'];
    const r = await run(['train', '--out', join(dir, 'pld'), ...common, '--target-epsilon', '3', '--accountant', 'pld']);
    expect(r.code, r.err).toBe(0);
    const m = JSON.parse(r.out) as { budgetAccountant: string; epsilonPld: number; epsilon: number };
    expect(m.budgetAccountant).toBe('pld');
    expect(m.epsilonPld).toBeLessThanOrEqual(3);
    expect(m.epsilon).toBeGreaterThan(m.epsilonPld);
    for (const bad of [['--target-epsilon', '3', '--accountant', 'moments'], ['--accountant', 'pld']]) {
      const e = await run(['train', '--out', join(dir, 'bad'), ...common, ...bad]);
      expect(e.code).toBe(2);
      expect(e.err.trim().split('\n')).toHaveLength(1);
    }
  });
});
