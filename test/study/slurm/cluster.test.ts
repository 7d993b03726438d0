/**
 * `study --executor slurm` against the real scheduler: a one-node Slurm cluster started for this
 * file (test/helpers/slurm-cluster.sh). CI installs slurm-wlm and munge first (.ci/run), so these
 * run there; where Slurm is not installed they are skipped, and the skip says why.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PointResult } from '../../../src/study/types.js';
import { tinyCorpus } from '../../helpers/tiny-corpus.js';
import { clusterUnavailable, runCli, slurmCmd, sleep, startCluster, waitUntilIdle, type Cluster } from '../../helpers/slurm-cluster.js';

const unavailable = clusterUnavailable();
if (unavailable) console.warn(`SKIPPED: the Slurm tests (test/study/slurm/cluster.test.ts): ${unavailable}`);

const tmp = (): string => mkdtempSync(join(tmpdir(), 'dpc-slurm-study-'));

/** A report's points without wall-clock fields (the only ones two honest runs may differ in), by id. */
function numbers(reportFile: string): Record<string, unknown> {
  const report = JSON.parse(readFileSync(reportFile, 'utf8')) as { points: (PointResult & { trainSeconds?: number; elapsedSeconds?: number })[] };
  return Object.fromEntries(report.points.map(({ trainSeconds: _t, elapsedSeconds: _e, ...rest }) => [rest.id, rest]));
}

function pointsOf(reportFile: string): Map<string, PointResult> {
  return new Map((JSON.parse(readFileSync(reportFile, 'utf8')) as { points: PointResult[] }).points.map((p) => [p.id, p]));
}

interface Submitted {
  submitted: { kind: string; jobId: string; points: string[] }[];
  waitingFor: string[];
}

describe.skipIf(unavailable !== null)(`study --executor slurm on a one-node Slurm cluster${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let cluster: Cluster;
  let env: Record<string, string>;
  beforeAll(() => {
    cluster = startCluster();
    env = { SLURM_CONF: cluster.conf };
  });
  afterAll(() => cluster?.stop());

  it(
    'the quick study gives the local quick study\'s numbers; a task cancelled mid-training resumes from its checkpoint when the same command runs again',
    async () => {
      const local = tmp();
      const viaSlurm = tmp();
      // One thread per point on both sides: data-parallel sums would differ in rounding.
      const localRun = await runCli(['study', '--quick', '--out', local, '--threads', '1', '--json']);
      expect(localRun.code, localRun.err).toBe(0);

      const study = ['study', '--quick', '--out', viaSlurm, '--executor', 'slurm', '--json'];
      const first = await runCli(study, env);
      expect(first.code, first.err).toBe(0);
      const jobs = (JSON.parse(first.out) as Submitted).submitted;
      expect(jobs.map((j) => j.kind)).toEqual(['public', 'points', 'points', 'merge']);
      // Cancel the point that trains longest from scratch once its first checkpoint is written.
      const victim = 'none-seed1';
      const array = jobs.find((j) => j.points.includes(victim))!;
      const task = `${array.jobId}_${array.points.indexOf(victim)}`;
      const checkpoint = join(viaSlurm, 'runs', victim, 'checkpoint.json');
      for (let i = 0; !existsSync(checkpoint); i++) {
        expect(i, 'no checkpoint within 5 minutes').toBeLessThan(1500);
        await sleep(200);
      }
      slurmCmd(cluster, 'scancel', [task]);
      const most = await waitUntilIdle(cluster, 600_000);
      const cpus = Number(slurmCmd(cluster, 'sinfo', ['-h', '-o', '%c']).trim());
      expect(most).toBeLessThanOrEqual(cpus); // one CPU per task: never more tasks at once than CPUs
      const stepAtKill = (JSON.parse(readFileSync(checkpoint, 'utf8')) as { step: number }).step;
      expect(existsSync(join(viaSlurm, 'points', `${victim}.json`))).toBe(false);

      // The merge job ran after the cancellation and marks the point failed with Slurm's reason.
      const merged = pointsOf(join(viaSlurm, 'report.json'));
      expect(merged.size).toBe(8);
      const killed = merged.get(victim)!;
      expect(killed.status === 'failed' && killed.error).toMatch(new RegExp(`^no result: Slurm job ${task} ended CANCELLED`));
      const status = await runCli(['study', '--status', viaSlurm, '--json'], env);
      const states = (JSON.parse(status.out) as { points: { id: string; state: string; checkpointStep?: number }[] }).points;
      expect(states.find((s) => s.id === victim)).toMatchObject({ state: 'failed', checkpointStep: stepAtKill });
      expect(states.filter((s) => s.state === 'done')).toHaveLength(7);

      // The same command again: only the cancelled point (and a merge) is submitted, and it resumes.
      const again = await runCli(study, env);
      expect(again.code, again.err).toBe(0);
      const resubmitted = (JSON.parse(again.out) as Submitted).submitted;
      expect(resubmitted.map((j) => [j.kind, j.points])).toEqual([['points', [victim]], ['merge', []]]);
      await waitUntilIdle(cluster, 600_000);
      // It resumed from the checkpoint: no epoch before the checkpointed one was trained again (a
      // record of the checkpointed epoch itself may be rebuilt from the checkpoint's weights).
      const log = readFileSync(join(viaSlurm, 'slurm', 'logs', `${resubmitted[0]!.jobId}_0.out`), 'utf8');
      const epochs = [...log.matchAll(/epoch (\d+): validation loss/g)].map((m) => Number(m[1]));
      const done = pointsOf(join(viaSlurm, 'report.json')).get(victim)!;
      expect(done.status).toBe('ok');
      const stepsPerEpoch = Math.ceil((done.status === 'ok' ? done.steps : NaN) / done.point.epochs);
      expect(epochs.length).toBeGreaterThan(0);
      expect(Math.min(...epochs)).toBeGreaterThanOrEqual(stepAtKill / stepsPerEpoch);
      expect(epochs.at(-1)).toBe(done.point.epochs);

      expect(numbers(join(viaSlurm, 'report.json'))).toEqual(numbers(join(local, 'report.json')));
    },
    1_500_000,
  );

  it(
    'a failing point (a bad corpus path in its job file) is marked failed in the merged report and the others complete',
    async () => {
      const dir = tmp();
      const corpus = join(dir, 'tiny.txt');
      writeFileSync(corpus, tinyCorpus(200));
      const out = join(dir, 'study');
      const args = [
        'study', '--out', out, '--executor', 'slurm', '--json', '--quick', '--mode', 'scratch', '--mitigations', 'none,dropout,weight-decay',
        '--corpus', corpus, '--max-chars', '3000', '--epochs', '1', '--canary-format', 'pin {digits:2}', '--insertions', '1,4',
        // Held, so that the job file can be broken before any task starts.
        '--slurm-args', '--hold',
      ];
      const r = await runCli(args, env);
      expect(r.code, r.err).toBe(0);
      const jobs = (JSON.parse(r.out) as Submitted).submitted;
      const broken = 'dropout0.5-seed1';
      const jobFile = join(out, 'slurm', 'jobs', `${broken}.json`);
      const job = JSON.parse(readFileSync(jobFile, 'utf8')) as { point: { corpus: string } };
      job.point.corpus = join(dir, 'no-such-corpus.txt');
      writeFileSync(jobFile, JSON.stringify(job));
      slurmCmd(cluster, 'scontrol', ['release', jobs.map((j) => j.jobId).join(',')]);
      await waitUntilIdle(cluster, 600_000);
      const report = pointsOf(join(out, 'report.json'));
      expect([...report.keys()].sort()).toEqual(['dropout0.5-seed1', 'none-seed1', 'wd0.001-seed1']);
      const failed = report.get(broken)!;
      expect(failed.status).toBe('failed');
      expect(failed.status === 'failed' && failed.error).toMatch(/^no result: Slurm job \d+_1 ended FAILED.*: dp-canary: .*no-such-corpus\.txt/);
      for (const id of ['none-seed1', 'wd0.001-seed1']) expect(report.get(id)!.status, id).toBe('ok');
      expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/FAILED/);
    },
    600_000,
  );
});
