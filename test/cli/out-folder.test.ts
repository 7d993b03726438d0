import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/program.js';
import { bufferIO } from '../../src/cli/io.js';
import { guardStudyFolder } from '../../src/cli/out-folder.js';
import { studyGrid } from '../../src/study/grid.js';
import { writeStudyGrid } from '../../src/study/jobs.js';
import { pointResultPath } from '../../src/study/runner.js';
import { InvalidArgumentError } from '../../src/util/errors.js';
import { seededRandom } from '../../src/util/random.js';
import { tinyCorpus } from '../helpers/tiny-corpus.js';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = bufferIO();
  const code = await runCli(args, io);
  return { code, out: io.stdout(), err: io.stderr() };
}

function oneLine(err: string): void {
  expect(err.trim().split('\n'), err).toHaveLength(1);
  expect(err).not.toMatch(/\n\s+at /);
}

// A tiny, fast run: one epoch, no exposure measurement.
const FAST = ['--hidden-size', '8', '--embedding-dim', '4', '--seq-length', '16', '--batch-size', '16', '--max-chars', '3000',
  '--canary-format', 'my pin is {digits:2}', '--insertions', '1', '--epochs', '1', '--no-exposure'];

let dir: string;
let corpus: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dpc-out-'));
  corpus = join(dir, 'tiny.txt');
  writeFileSync(corpus, tinyCorpus(300));
});

describe('train --out never replaces a run silently', () => {
  it('refuses a folder holding a finished run (exit 2, one line, files untouched); --overwrite replaces it', async () => {
    const run = join(dir, 'finished');
    expect((await cli(['train', '--out', run, '--corpus', corpus, ...FAST, '--seed', '1'])).code).toBe(0);
    const model = readFileSync(join(run, 'model.json'), 'utf8');
    const ledger = readFileSync(join(run, 'ledger.json'), 'utf8');
    const again = await cli(['train', '--out', run, '--corpus', corpus, ...FAST, '--seed', '2']);
    expect(again.code).toBe(2);
    oneLine(again.err);
    expect(again.err).toMatch(/already holds a finished run .*--overwrite/);
    expect(readFileSync(join(run, 'model.json'), 'utf8')).toBe(model);
    expect(readFileSync(join(run, 'ledger.json'), 'utf8')).toBe(ledger);

    const both = await cli(['train', '--out', run, '--corpus', corpus, ...FAST, '--resume', '--overwrite']);
    expect(both.code).toBe(2);
    oneLine(both.err);

    const over = await cli(['train', '--out', run, '--corpus', corpus, ...FAST, '--seed', '2', '--overwrite']);
    expect(over.code).toBe(0);
    expect(readFileSync(join(run, 'model.json'), 'utf8')).not.toBe(model);
    expect(JSON.parse(readFileSync(join(run, 'run.json'), 'utf8')).config.seed).toBe(2);
  });

  it('--resume alone continues with the settings of run.json; a differing flag names the setting and both values', async () => {
    const run = join(dir, 'unfinished');
    expect((await cli(['train', '--out', run, '--corpus', corpus, ...FAST, '--seed', '5', '--noise-multiplier', '1.3'])).code).toBe(0);
    const saved = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8')).config;
    // An interrupted run: the checkpoint is there, the final files are not.
    for (const f of ['metrics.json', 'model.json', 'ledger.json']) rmSync(join(run, f));

    const fresh = await cli(['train', '--out', run, '--corpus', corpus, ...FAST, '--seed', '5']);
    expect(fresh.code).toBe(2);
    oneLine(fresh.err);
    expect(fresh.err).toMatch(/unfinished run.*--resume/);

    const differs: Array<[string[], RegExp]> = [
      [['--epochs', '3'], /--epochs is 3 but the run's run.json has 1/],
      [['--noise-multiplier', '2'], /--noise-multiplier is 2 but the run's run.json has 1.3/],
      [['--target-epsilon', '2'], /--target-epsilon is 2 but the run's run.json has none/],
      [['--seed', '6'], /--seed is 6 but the run's run.json has 5/],
      [['--tokenizer', 'word'], /--tokenizer is "word" but the run's run.json has "char"/],
    ];
    for (const [flags, message] of differs) {
      const r = await cli(['train', '--out', run, '--resume', ...flags]);
      expect(r.code, flags.join(' ')).toBe(2);
      oneLine(r.err);
      expect(r.err).toMatch(message);
    }
    expect(existsSync(join(run, 'metrics.json'))).toBe(false);

    // Nothing but --out and --resume; the same value of a setting is accepted too.
    const r = await cli(['train', '--out', run, '--resume', '--seed', '5', '--no-exposure', '--json']);
    expect(r.err).not.toMatch(/other settings/);
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(join(run, 'run.json'), 'utf8')).config).toEqual(saved);
    const m = JSON.parse(r.out) as { noiseMultiplier: number; private: boolean };
    expect(m.private).toBe(true);
    expect(m.noiseMultiplier).toBe(1.3);
    expect(existsSync(join(run, 'metrics.json'))).toBe(true);

    const none = await cli(['train', '--out', join(dir, 'nothing-here'), '--resume']);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/holds no run/);
  });
});

describe('vocabulary size per tokenizer', () => {
  // 400 distinct made-up words: far more word types than a character vocabulary has symbols.
  function manyWords(): string {
    const r = seededRandom('many-words');
    const letters = 'abcdefghijklmnopqrstuvwxyz';
    const words = Array.from({ length: 400 }, () => Array.from({ length: 3 + r.int(5) }, () => letters[r.int(26)]).join(''));
    return Array.from({ length: 300 }, () => Array.from({ length: 8 }, () => words[r.int(words.length)]).join(' ')).join('\n') + '\n';
  }

  it('--tokenizer word gets a word-sized default vocabulary; --max-vocab sets it; --help says both defaults', async () => {
    const text = join(dir, 'words.txt');
    writeFileSync(text, manyWords());
    const args = ['--corpus', text, '--tokenizer', 'word', ...FAST, '--max-chars', '8000', '--seed', '1'];
    const w = join(dir, 'word-default');
    expect((await cli(['train', '--out', w, ...args])).code).toBe(0);
    expect(JSON.parse(readFileSync(join(w, 'run.json'), 'utf8')).config.maxVocab).toBe(10_000);
    const vocab = (dir: string): number => (JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { config: { vocabSize: number } }).config.vocabSize;
    expect(vocab(w)).toBeGreaterThan(300);

    const small = join(dir, 'word-small');
    expect((await cli(['train', '--out', small, ...args, '--max-vocab', '40'])).code).toBe(0);
    expect(vocab(small)).toBe(40);

    const c = join(dir, 'char-default');
    expect((await cli(['train', '--out', c, ...args.filter((a) => a !== 'word' && a !== '--tokenizer')])).code).toBe(0);
    expect(JSON.parse(readFileSync(join(c, 'run.json'), 'utf8')).config.maxVocab).toBe(64);

    const bad = await cli(['train', '--out', join(dir, 'bad'), ...args, '--max-vocab', 'many']);
    expect(bad.code).toBe(2);
    oneLine(bad.err);
    const help = await cli(['train', '--help']);
    expect(help.out.replace(/\s+/g, ' ')).toMatch(/--max-vocab <n>.*default: 64 for char, 10000 for word/);
  });
});

describe('study --out never replaces a different study silently', () => {
  const grid = (seeds: number[]) => studyGrid('quick', { mitigations: ['none'], seeds, modes: ['scratch'] });

  it('refuses a folder whose grid.json differs; --overwrite deletes only the points whose settings changed', () => {
    const out = join(dir, 'study-guard');
    writeStudyGrid(out, grid([1, 2]));
    mkdirSync(join(out, 'points'));
    for (const id of ['none-seed1', 'none-seed2']) {
      writeFileSync(pointResultPath(out, id), '{}');
      mkdirSync(join(out, 'runs', id), { recursive: true });
    }
    expect(() => guardStudyFolder(out, grid([1, 2]), false)).not.toThrow(); // the same study resumes
    const other = studyGrid('quick', { mitigations: ['none'], seeds: [1], epochs: 3, modes: ['scratch'] });
    expect(() => guardStudyFolder(out, other, false)).toThrow(InvalidArgumentError);
    expect(() => guardStudyFolder(out, other, false)).toThrow(/different study \(point none-seed1 has other settings: epochs \d+ -> 3\)/);
    expect(() => guardStudyFolder(out, grid([1, 2, 3]), false)).toThrow(/adds point none-seed3/);
    expect(existsSync(pointResultPath(out, 'none-seed1'))).toBe(true);

    guardStudyFolder(out, grid([1]), true); // seed 2 leaves the grid, seed 1 is unchanged
    expect(existsSync(pointResultPath(out, 'none-seed1'))).toBe(true);
    expect(existsSync(join(out, 'runs', 'none-seed1'))).toBe(true);
    expect(existsSync(pointResultPath(out, 'none-seed2'))).toBe(false);
    expect(existsSync(join(out, 'runs', 'none-seed2'))).toBe(false);
  });

  it('the study command refuses before training (exit 2, one line)', async () => {
    const out = join(dir, 'study-cli');
    writeStudyGrid(out, grid([7]));
    const r = await cli(['study', '--quick', '--out', out, '--corpus', corpus, '--max-chars', '3000', '--mitigations', 'none', '--seeds', '1']);
    expect(r.code).toBe(2);
    oneLine(r.err);
    expect(r.err).toMatch(/holds a different study/);
    expect(existsSync(join(out, 'report.json'))).toBe(false);
  });
});
