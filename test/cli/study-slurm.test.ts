import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bufferIO } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/program.js';
import { studyGrid } from '../../src/study/grid.js';
import { writeStudyGrid } from '../../src/study/jobs.js';
import { runStudy } from '../../src/study/runner.js';
import { fakePoint } from '../study/fake-point.mjs';

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    const io = bufferIO();
    const code = await runCli(args, io);
    return { code, out: io.stdout(), err: io.stderr() };
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

const tmp = (): string => mkdtempSync(join(tmpdir(), 'dpc-cli-slurm-'));

describe('study --executor slurm, --dry-run, --status: the CLI', () => {
  it('without Slurm on PATH, --executor slurm is one line naming what is missing, exit 2, and nothing is written', async () => {
    const out = join(tmp(), 'study');
    const r = await cli(['study', '--quick', '--out', out, '--executor', 'slurm'], { PATH: tmp() });
    expect(r.code).toBe(2);
    expect(r.err).toBe("dp-canary: --executor slurm: 'sbatch' and 'squeue' not found on PATH; run this on a Slurm login node (or install Slurm's client commands), or use --executor local\n");
    expect(r.out).toBe('');
    expect(existsSync(out)).toBe(false);
  });

  it('refuses flags that do not go together, each with one line', async () => {
    const out = join(tmp(), 'study');
    const cases: [string[], RegExp][] = [
      [['--dry-run'], /^dp-canary: --dry-run goes with --executor slurm\n$/],
      [['--slurm-args', '--time=1:00'], /^dp-canary: --slurm-args goes with --executor slurm\n$/],
      [['--executor', 'pbs'], /^dp-canary: --executor must be local or slurm; got 'pbs'\n$/],
      [['--executor', 'slurm', '--dry-run', '--slurm-args', '--array=0-3'], /^dp-canary: --slurm-args: sbatch's --array is not yours to set here/],
      [['--executor', 'slurm', '--write-jobs', out], /^dp-canary: --executor slurm submits a whole study: not with --merge, --job or --write-jobs\n$/],
      [['--threads', '0'], /^dp-canary: --threads must be an integer >= 1, got 0\n$/],
      [['--status', out], /^dp-canary: '.*' is not a study folder \(no grid\.json\)\n$/],
    ];
    for (const [flags, expected] of cases) {
      const r = await cli(['study', '--quick', '--out', out, ...flags]);
      expect([r.code, r.err], flags.join(' ')).toEqual([2, expect.stringMatching(expected)]);
    }
    expect(existsSync(out)).toBe(false);
  });

  it('--status lists every point of a study folder with its state', async () => {
    const dir = tmp();
    const points = studyGrid('quick', { modes: ['scratch'], mitigations: ['none', 'dp'], dpEpsilons: [1, 8] });
    writeStudyGrid(dir, points, 'quick');
    await runStudy(points.slice(0, 1), fakePoint, { outDir: dir, writeGrid: false });
    const r = await cli(['study', '--status', dir]);
    expect(r.code).toBe(0);
    expect(r.out).toBe(`${dir}: 1 done, 2 not submitted (of 3 points; Slurm not asked)\n  none-seed1     done\n  dp-eps1-seed1  not submitted\n  dp-eps8-seed1  not submitted\n`);
    const j = await cli(['study', '--status', dir, '--json']);
    expect(JSON.parse(j.out).points.map((p: { state: string }) => p.state)).toEqual(['done', 'not submitted', 'not submitted']);
  });

  it(
    '--dry-run of --preset paper prints 30 tasks, the scripts, the sbatch lines and an estimate per point, and writes nothing',
    async () => {
      const out = join(tmp(), 'paper');
      const r = await cli(['study', '--preset', 'paper', '--out', out, '--executor', 'slurm', '--dry-run', '--slurm-args', '--partition=cpu']);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toMatch(/^dry run: nothing written, nothing submitted/);
      expect(r.out).toContain('would submit 30 points from scratch: 30 array tasks and a merge job; 1 CPU per task\n');
      expect(r.out).toContain(`==> ${join(out, 'slurm', 'points.sbatch')} <==\n#!/bin/bash\n`);
      expect(r.out).not.toContain('public.sbatch'); // the paper preset trains every point from scratch
      expect(r.out).toContain(`scratch=$(sbatch --parsable --array=0-29 --partition=cpu ${join(out, 'slurm', 'points.sbatch')} ${join(out, 'slurm', 'lists', '1-scratch.txt')})\n`);
      expect(r.out).toContain(`merge=$(sbatch --parsable --dependency=afterany:\${scratch} --partition=cpu ${join(out, 'slurm', 'merge.sbatch')})\n`);
      const table = r.out.slice(r.out.indexOf('ESTIMATED wall time per point'));
      const rows = table.split('\n').filter((l) => /^ {2}[a-z0-9.-]+-seed\d /.test(l));
      expect(rows).toHaveLength(30);
      // Every point: its planned steps and a time (h:mm:ss). 20 epochs over the same N windows at
      // batch 256 and at DP's batch 4096: ceil(20N/256) and ceil(20N/4096) steps, 16 times fewer.
      const steps = new Map(rows.map((l) => [l.trim().split(/\s+/)[0]!, Number(l.trim().split(/\s+/)[1])]));
      expect(steps.get('none-seed1')).toBeGreaterThan(1000);
      expect(Math.abs(steps.get('dp-eps1-seed1')! - steps.get('none-seed1')! / 16)).toBeLessThanOrEqual(1);
      for (const l of rows) expect(l).toMatch(/\s\d+:\d\d:\d\d$/);
      expect(table).toMatch(/suggested time limit per task \(longest estimate x 1\.5\): --slurm-args '--time=\d+:\d\d:\d\d'\n$/);
      expect(existsSync(out)).toBe(false);
    },
    300_000,
  );
});
