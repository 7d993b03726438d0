import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bufferIO } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/program.js';

/**
 * Issue 19: every bad invocation, of every command, is one line on stderr and exit 2, with no
 * stack trace and nothing written. Each case is checked in a fresh temporary folder.
 */
const dir = mkdtempSync(join(tmpdir(), 'bad-input-'));
const notJson = join(dir, 'not.json');
writeFileSync(notJson, 'this is not json');
const emptyObject = join(dir, 'empty.json');
writeFileSync(emptyObject, '{}');
const missing = join(dir, 'missing');

const CASES: string[][] = [
  // epsilon
  ['epsilon'],
  ['epsilon', '--sampling-rate', '2', '--noise-multiplier', '1', '--steps', '10', '--delta', '1e-5'],
  ['epsilon', '--sampling-rate', '0.1', '--noise-multiplier', '-1', '--steps', '10', '--delta', '1e-5'],
  ['epsilon', '--sampling-rate', '0.1', '--noise-multiplier', 'abc', '--steps', '10', '--delta', '1e-5'],
  ['epsilon', '--sampling-rate', '0.1', '--noise-multiplier', '1', '--steps', '1.5', '--delta', '1e-5'],
  ['epsilon', '--sampling-rate', '0.1', '--noise-multiplier', '1', '--steps', '10', '--delta', '1'],
  ['epsilon', '--sampling-rate', '0.1', '--noise-multiplier', '1', '--steps', '10', '--delta', '1e-5', '--epsilon', '2'],
  ['epsilon', '--sampling-rate', '0.1', '--noise-multiplier', '1', '--steps', '10', '--delta', '1e-5', '--accountant', 'prv'],
  ['epsilon', '--sampling-rate', '0.1', '--noise-multiplier', '1', '--steps', '10', '--delta', '1e-5', '--accountant', 'pld', '--pld-interval', '0'],
  ['epsilon', '--dataset-size', '100', '--batch-size', '200', '--epochs', '1', '--noise-multiplier', '1', '--delta', '1e-5'],
  ['epsilon', '--sampling-rate', '0.1', '--noise-multiplier', '1', '--steps', '10', '--delta', '1e-5', '--no-such-flag'],
  // calibrate
  ['calibrate', '--target-epsilon', '0', '--sampling-rate', '0.01', '--steps', '100', '--delta', '1e-5'],
  ['calibrate', '--target-epsilon', '-3', '--sampling-rate', '0.01', '--steps', '100', '--delta', '1e-5'],
  ['calibrate', '--target-epsilon', '3', '--sampling-rate', '0.01', '--steps', '100'],
  ['calibrate', '--target-epsilon', 'x', '--sampling-rate', '0.01', '--steps', '100', '--delta', '1e-5'],
  // rdp
  ['rdp', '--sampling-rate', '0.01', '--noise-multiplier', '1.1', '--steps', '1', '--orders', '0.5,2'],
  ['rdp', '--sampling-rate', '0.01', '--noise-multiplier', '1.1', '--steps', '1', '--orders', 'a,b'],
  ['rdp', '--sampling-rate', '1.5', '--noise-multiplier', '1.1', '--steps', '1'],
  // train
  ['train', '--out', join(dir, 't1'), '--epochs', '0'],
  ['train', '--out', join(dir, 't2'), '--corpus', missing],
  ['train', '--out', join(dir, 't3'), '--batch-size', '-5'],
  ['train', '--out', join(dir, 't4'), '--canary-format', 'no slot here'],
  ['train', '--out', join(dir, 't5'), '--insertions', '1,x'],
  ['train', '--out', join(dir, 't6'), '--target-epsilon', '8', '--noise-multiplier', '1'],
  ['train', '--out', join(dir, 't7'), '--optimizer', 'adamw2'],
  ['train', '--out', join(dir, 't8'), '--cell', 'rnn'],
  ['train', '--out', join(dir, 't8a'), '--cell', 'transformer', '--hidden-size', '64', '--heads', '3'],
  ['train', '--out', join(dir, 't8b'), '--heads', '2'],
  ['train', '--out', join(dir, 't8c'), '--cell', 'transformer', '--ffn-size', '0'],
  ['train', '--out', join(dir, 't8d'), '--cell', 'transformer', '--hidden-size', '64', '--embedding-dim', '32'],
  ['train', '--out', join(dir, 't8e'), '--cell', 'transformer', '--seq-length', '8', '--max-chars', '3000'],
  ['train', '--out', join(dir, 't9'), '--non-finite', 'maybe'],
  ['train', '--out', join(dir, 't10'), '--privacy-unit', 'person'],
  ['train', '--out', join(dir, 't11'), '--accountant', 'pld'],
  ['train', '--out', join(dir, 't12'), '--dropout', '1.5'],
  ['train', '--out', join(dir, 't13'), '--backend', 'gpu'],
  ['train', '--out', join(dir, 't14'), '--resume'],
  // study
  ['study', '--out', join(dir, 's1'), '--preset', 'huge'],
  ['study', '--out', join(dir, 's1a'), '--cell', 'transformer', '--heads', '0'],
  ['study', '--out', join(dir, 's1b'), '--cell', 'cnn'],
  ['study', '--out', join(dir, 's2'), '--epsilons', '0,8'],
  ['study', '--out', join(dir, 's3'), '--seeds', '1,1'],
  ['study', '--out', join(dir, 's4'), '--mitigations', 'none,magic'],
  ['study', '--out', join(dir, 's5'), '--job', missing],
  ['study', '--out', join(dir, 's6'), '--merge', missing],
  ['study', '--out', join(dir, 's7'), '--preset', 'paper', '--quick'],
  // exposure, extract, audit, natural-exposure
  ['exposure', '--run', missing],
  ['exposure', '--scores', notJson],
  ['exposure', '--scores', emptyObject],
  ['extract', '--run', missing],
  ['extract', '--run', dir, '--top', '0'],
  ['audit', '--run', missing],
  ['natural-exposure', '--run', missing, '--secrets', emptyObject],
  ['natural-exposure', '--run', dir, '--secrets', notJson],
  // secrets
  ['secrets', '--corpus', missing],
  ['secrets', '--corpus', 'spam-assassin:eggs'],
  ['secrets', '--corpus', dir, '--kinds', 'phone,passport'],
  ['secrets', '--corpus', dir, '--format', 'my pin is {digits:0}'],
  ['secrets', '--corpus', dir, '--context-chars', '-1'],
  ['secrets', '--corpus', 'spam-assassin:ham?list='],
  // no such command
  ['frobnicate'],
];

describe('bad input across every command', () => {
  it(`${CASES.length} bad invocations: each is one stderr line, exit 2, no stack trace, nothing written`, { timeout: 120_000 }, async () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
    const commands = new Set(CASES.map((c) => c[0]));
    for (const c of ['epsilon', 'calibrate', 'rdp', 'train', 'study', 'exposure', 'extract', 'audit', 'natural-exposure', 'secrets']) expect(commands.has(c)).toBe(true);
    const before = readdirSync(dir).sort();
    for (const args of CASES) {
      const io = bufferIO();
      const code = await runCli(args, io);
      const err = io.stderr();
      const label = args.join(' ');
      expect(code, label).toBe(2);
      expect(err.trim().split('\n'), `${label}: ${err}`).toHaveLength(1);
      expect(err, label).not.toMatch(/\n\s+at |Error: .*\n.*at /);
      expect(io.stdout(), label).toBe('');
      expect(readdirSync(dir).sort(), `${label} wrote a file`).toEqual(before);
    }
    void readFileSync;
  });
});

describe('library code throws typed errors', () => {
  it('no RangeError, TypeError or plain Error is thrown in src/ (bad arguments: InvalidArgumentError; bugs: InternalError)', () => {
    const root = join(import.meta.dirname, '..', '..', 'src');
    const offenders: string[] = [];
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.ts')) {
          readFileSync(p, 'utf8').split('\n').forEach((line, i) => {
            if (/throw new (RangeError|TypeError|Error)\(/.test(line)) offenders.push(`${p}:${i + 1}`);
          });
        }
      }
    };
    walk(root);
    expect(offenders).toEqual([]);
  });
});
