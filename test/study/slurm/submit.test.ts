import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { studyGrid } from '../../../src/study/grid.js';
import { readJobFile } from '../../../src/study/jobs.js';
import { runStudy } from '../../../src/study/runner.js';
import { planSubmission } from '../../../src/study/slurm/plan.js';
import { readSubmissions, latestJobs } from '../../../src/study/slurm/record.js';
import { slurmLayout, scriptPath } from '../../../src/study/slurm/scripts.js';
import { studyStatus } from '../../../src/study/slurm/status.js';
import { dryRunTranscript, plannedCalls, sbatchArgs, submitPlan } from '../../../src/study/slurm/submit.js';
import { InvalidArgumentError } from '../../../src/util/errors.js';
import { fakePoint } from '../fake-point.mjs';
import { FakeSlurm } from './fake-slurm.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'dpc-slurm-'));
const points = studyGrid('quick'); // public, 5 fine-tune points, 2 from scratch
const ids = (mode: string): string[] => points.filter((p) => (p.mode ?? 'scratch') === mode).map((p) => p.id);
const script = { command: ['/usr/bin/node', '/opt/dp-canary/dist/src/cli/main.js'], threads: 2 };
const USER_ARGS = ['--partition=cpu', '--time=0:30:00'];

describe('Slurm submission: plan, scripts and sbatch calls', () => {
  it('a fresh study: public job, scratch array, fine-tune array after the public job, merge after all', () => {
    const dir = tmp();
    const layout = slurmLayout(dir);
    const slurm = new FakeSlurm(100);
    const status = studyStatus(dir, slurm, points);
    expect(status.points.map((s) => s.state)).toEqual(points.map(() => 'not submitted'));
    const plan = planSubmission(points, status.points);
    expect(plan).toEqual({ public: 'public', scratch: ids('scratch'), fineTune: ids('fine-tune'), fineTuneAfter: 'new', inFlight: [], merge: true });
    const jobs = submitPlan(plan, { layout, points, preset: 'quick', script, slurmArgs: USER_ARGS, slurm });
    expect(jobs.map((j) => [j.kind, j.jobId])).toEqual([['public', '100'], ['points', '101'], ['points', '102'], ['merge', '103']]);
    const lists = [join(layout.listsDir, '1-scratch.txt'), join(layout.listsDir, '1-fine-tune.txt')];
    expect(slurm.calls).toEqual([
      [...USER_ARGS, scriptPath(layout, 'public')],
      ['--array=0-1', ...USER_ARGS, scriptPath(layout, 'points'), lists[0]],
      ['--array=0-4', '--dependency=afterok:100', '--kill-on-invalid-dep=yes', ...USER_ARGS, scriptPath(layout, 'points'), lists[1]],
      ['--dependency=afterany:100:101:102', ...USER_ARGS, scriptPath(layout, 'merge')],
    ]);
    // Task i of an array runs line i+1 of its list; every point has its job file.
    expect(readFileSync(lists[0]!, 'utf8')).toBe(ids('scratch').join('\n') + '\n');
    expect(readFileSync(lists[1]!, 'utf8')).toBe(ids('fine-tune').join('\n') + '\n');
    for (const p of points) expect(readJobFile(join(layout.jobsDir, `${p.id}.json`))).toEqual(p);
    const latest = latestJobs(readSubmissions(layout));
    expect(latest.get('public')).toEqual({ jobId: '100', kind: 'public' });
    expect(latest.get(ids('fine-tune')[4]!)).toEqual({ jobId: '102_4', kind: 'points' });
    const pointsScript = readFileSync(scriptPath(layout, 'points'), 'utf8');
    expect(pointsScript).toMatch(/^#SBATCH --cpus-per-task=2$/m);
    expect(pointsScript).toContain(`--job ${layout.jobsDir}/"$id".json --out ${dir} --threads 2 --concurrency 1`);
    expect(readFileSync(scriptPath(layout, 'merge'), 'utf8')).toContain(`study --merge ${dir} --out ${dir}`);
    expect(existsSync(join(dir, 'grid.json'))).toBe(true);
  });

  it('the same command again submits only what is not done and not queued, and its merge waits for the queued jobs', async () => {
    const dir = tmp();
    const layout = slurmLayout(dir);
    const slurm = new FakeSlurm(100);
    submitPlan(planSubmission(points, studyStatus(dir, slurm, points).points), { layout, points, script, slurmArgs: [], slurm });
    // The public model and one scratch point finished; the other scratch task was cancelled after a
    // checkpoint; the fine-tune tasks run or wait.
    const [pub, none, dp] = [points[0]!, points.find((p) => p.id === 'none-seed1')!, points.find((p) => p.id === 'dp-eps8-seed1')!];
    await runStudy([pub, none], fakePoint, { outDir: dir, writeGrid: false });
    mkdirSync(join(dir, 'runs', dp.id), { recursive: true });
    writeFileSync(join(dir, 'runs', dp.id, 'checkpoint.json'), JSON.stringify({ step: 54 }));
    writeFileSync(join(layout.logsDir, '101_1.out'), 'point dp-eps8-seed1\nslurmstepd-vm: error: *** JOB 7 ON vm CANCELLED AT 2026-01-01T00:00:00 ***\n');
    slurm.states.set('101_1', { state: 'CANCELLED', reason: 'None' });
    slurm.states.set('102_0', { state: 'RUNNING', reason: 'None' });
    for (let i = 1; i < 5; i++) slurm.states.set(`102_${i}`, { state: 'PENDING', reason: 'Resources' });
    const status = studyStatus(dir, slurm);
    const by = new Map(status.points.map((s) => [s.id, s]));
    expect(status.slurm).toBe('answered');
    expect(by.get('public')!.state).toBe('done');
    expect(by.get('none-seed1')!.state).toBe('done');
    expect(by.get(dp.id)).toMatchObject({ state: 'failed', job: '101_1', checkpointStep: 54 });
    expect(by.get(dp.id)!.detail).toBe('Slurm job 101_1 ended CANCELLED without writing a result: slurmstepd-vm: error: *** JOB 7 ON vm CANCELLED AT 2026-01-01T00:00:00 ***; checkpoint at step 54 (it resumes there)');
    expect(by.get('ft-none-seed1')).toMatchObject({ state: 'running', detail: 'Slurm job 102_0 RUNNING' });
    expect(by.get('ft-sanitize-seed1')).toMatchObject({ state: 'pending', detail: 'Slurm job 102_4 PENDING, Resources' });
    const plan = planSubmission(points, status.points);
    expect(plan).toEqual({ public: null, scratch: [dp.id], fineTune: [], fineTuneAfter: null, inFlight: ['102'], merge: true });
    const jobs = submitPlan(plan, { layout, points, script, slurmArgs: [], slurm });
    expect(jobs.map((j) => j.jobId)).toEqual(['104', '105']);
    expect(slurm.calls.slice(4)).toEqual([
      ['--array=0-0', scriptPath(layout, 'points'), join(layout.listsDir, '2-scratch.txt')],
      ['--dependency=afterany:104:102', scriptPath(layout, 'merge')],
    ]);
    expect(latestJobs(readSubmissions(layout)).get(dp.id)).toEqual({ jobId: '104_0', kind: 'points' });
  });

  it('a failed public model is submitted again and the fine-tune points wait for the new job; a queued one is waited for', async () => {
    const dir = tmp();
    const layout = slurmLayout(dir);
    const slurm = new FakeSlurm(100);
    submitPlan(planSubmission(points, studyStatus(dir, slurm, points).points), { layout, points, script, slurmArgs: [], slurm });
    await runStudy([points[0]!], async () => {
      throw new Error('out of memory');
    }, { outDir: dir, writeGrid: false });
    for (let i = 0; i < 5; i++) slurm.states.set(`102_${i}`, { state: 'CANCELLED', reason: 'DependencyNeverSatisfied' });
    const status = studyStatus(dir, slurm);
    const ft = status.points.find((s) => s.id === 'ft-none-seed1')!;
    expect(status.points[0]).toMatchObject({ id: 'public', state: 'failed', detail: 'out of memory' });
    expect(ft.state).toBe('failed');
    expect(ft.detail).toMatch(/^not run: its starting point 'public' failed; Slurm job 102_0 ended CANCELLED \(DependencyNeverSatisfied\)/);
    expect(planSubmission(points, status.points)).toMatchObject({ public: 'public', fineTune: ids('fine-tune'), fineTuneAfter: 'new' });
    // The public job queued (not done): fine-tune points depend on it, nothing is submitted twice.
    const queued = status.points.map((s) => (s.id === 'public' ? { ...s, state: 'pending' as const, job: '100' } : s));
    expect(planSubmission(points, queued)).toMatchObject({ public: null, fineTune: ids('fine-tune'), fineTuneAfter: '100', inFlight: ['100'] });
  });

  it('without an answer from Slurm nothing is planned; a refused sbatch names the jobs already queued', () => {
    const dir = tmp();
    const layout = slurmLayout(dir);
    const slurm = new FakeSlurm(100);
    submitPlan(planSubmission(points, studyStatus(dir, slurm, points).points), { layout, points, script, slurmArgs: [], slurm });
    slurm.answers = false;
    const status = studyStatus(dir, slurm);
    expect(status.slurm).toBe('no answer');
    expect(status.points.every((s) => s.state === 'unknown')).toBe(true);
    expect(() => planSubmission(points, status.points)).toThrow(/cannot tell whether point public is still queued/);

    const other = tmp();
    const refusing = new FakeSlurm(200);
    refusing.refuseAt = 2;
    const plan = planSubmission(points, studyStatus(other, refusing, points).points);
    expect(() => submitPlan(plan, { layout: slurmLayout(other), points, script, slurmArgs: ['--partition=nope'], slurm: refusing })).toThrow(
      "sbatch refused the job: invalid partition specified: 'nope'; already submitted: public job 200, points job 201 (see study --status)",
    );
    expect(readSubmissions(slurmLayout(other)).submissions[0]!.jobs.map((j) => j.jobId)).toEqual(['200', '201']);
    expect(() => planSubmission(points, [])).toThrow(InvalidArgumentError);
  });

  it('the dry-run transcript is a shell script that makes exactly the sbatch calls a submission makes', () => {
    const dir = tmp();
    const layout = slurmLayout(dir);
    const plan = planSubmission(points, studyStatus(dir, null, points).points);
    const calls = plannedCalls(layout, plan, 1);
    const args = ["--comment=it's mine", '--time=1:00:00'];
    const transcript = dryRunTranscript(layout, calls, args);
    expect(transcript.split('\n').filter(Boolean)).toHaveLength(4);
    // Run it with a stand-in sbatch that numbers jobs from 100 (in a file: each call runs in a
    // command substitution's subshell) and logs its argv one word per line, a blank line after each call.
    const log = join(dir, 'argv.txt');
    const counter = join(dir, 'n');
    const script = `echo 99 > ${counter}
sbatch() { local n=$(( $(cat ${counter}) + 1 )); echo $n > ${counter}; printf '%s\\n' "$@" >> ${log}; echo >> ${log}; echo $n; }
${transcript}`;
    const r = spawnSync('bash', ['-euo', 'pipefail', '-c', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const made = readFileSync(log, 'utf8').split('\n\n').filter(Boolean).map((c) => c.split('\n'));
    const expected = calls.map((c) => ['--parsable', ...sbatchArgs(layout, c, args, (ref) => ('call' in ref ? String(100 + ref.call) : ref.job))]);
    expect(made).toEqual(expected);
  });
});
