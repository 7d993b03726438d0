/**
 * `dp-canary study --executor slurm`, `--dry-run` and `--status`: the Slurm side of the study
 * command (src/cli/commands/study.ts parses the flags and calls these).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireSlurm, SystemSlurm } from '../study/slurm/client.js';
import { estimatePoints, type PointEstimate } from '../study/slurm/estimate.js';
import { mergeStudyResults } from '../study/slurm/merge.js';
import { planSubmission, type SubmissionPlan } from '../study/slurm/plan.js';
import { readSubmissions } from '../study/slurm/record.js';
import { scriptPath, slurmLayout, type SlurmJobKind } from '../study/slurm/scripts.js';
import { parseSlurmArgs } from '../study/slurm/slurm-args.js';
import { studyStatus, POINT_STATES, type PointStatus } from '../study/slurm/status.js';
import { dryRunTranscript, plannedCalls, studyScripts, submitPlan } from '../study/slurm/submit.js';
import type { PresetName, StudyPoint, StudyReport } from '../study/types.js';
import { InvalidArgumentError } from '../util/errors.js';
import { seededRandom } from '../util/random.js';
import type { CliIO } from './io.js';
import { toJson } from './parse.js';

/** The study's executors: 'local' (worker threads here) or 'slurm' (sbatch job arrays). */
export const EXECUTORS = ['local', 'slurm'] as const;
export type Executor = (typeof EXECUTORS)[number];

export function parseExecutor(raw: string | undefined): Executor {
  const e = raw ?? 'local';
  if (!(EXECUTORS as readonly string[]).includes(e)) throw new InvalidArgumentError(`--executor must be ${EXECUTORS.join(' or ')}; got '${e}'`);
  return e as Executor;
}

/** Fail early, before any work, when Slurm's commands are missing (a dry run needs none). */
export function checkSlurmAvailable(): void {
  requireSlurm();
}

/**
 * The command a compute node runs for dp-canary: this Node and the compiled CLI (absolute
 * paths, so the install must be on a filesystem the nodes share, like the study folder).
 */
function taskCommand(): string[] {
  const here = fileURLToPath(import.meta.url);
  const main = here.endsWith('.js') ? join(dirname(here), 'main.js') : join(dirname(here), '..', '..', 'dist', 'src', 'cli', 'main.js');
  if (!existsSync(main)) throw new InvalidArgumentError(`--executor slurm: the tasks run the compiled CLI, ${main}, which is missing; run 'npm run build' first`);
  return [process.execPath, main];
}

export interface SlurmStudyRequest {
  out: string;
  points: StudyPoint[];
  preset?: PresetName;
  /** Each task's CPUs and the point's threads. */
  threads: number;
  backend?: string;
  slurmArgs?: string;
  dryRun: boolean;
  json: boolean;
  /** The study command's own reports (used when every point is already done). */
  writeReports(report: StudyReport): Promise<void>;
}

const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;

function hms(seconds: number): string {
  const s = Math.ceil(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h}:${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** A time limit for every task: the longest estimate times 1.5, rounded up to whole minutes. */
function suggestedTime(estimates: readonly PointEstimate[]): string {
  const longest = Math.max(...estimates.map((e) => e.totalSeconds));
  return hms(Math.ceil((longest * 1.5) / 60) * 60);
}

function planSummary(plan: SubmissionPlan): string {
  const parts = [
    plan.public !== null ? 'the public model' : null,
    plan.scratch.length > 0 ? `${plural(plan.scratch.length, 'point')} from scratch` : null,
    plan.fineTune.length > 0 ? `${plural(plan.fineTune.length, 'fine-tune point')}` : null,
  ].filter((x) => x !== null);
  return parts.join(', ');
}

/**
 * Submit (or, with dryRun, print) the study's jobs: only what is not done and not already
 * queued. Every point done: the reports are written here and nothing is submitted.
 */
export async function runSlurmStudy(r: SlurmStudyRequest, io: CliIO): Promise<void> {
  const slurmArgs = r.slurmArgs !== undefined ? parseSlurmArgs(r.slurmArgs) : [];
  const layout = slurmLayout(r.out);
  const slurm = new SystemSlurm();
  const status = studyStatus(r.out, slurm, r.points);
  // A dry run without Slurm's answer plans as if nothing submitted were still queued.
  const statuses: PointStatus[] = r.dryRun ? status.points.map((s) => (s.state === 'unknown' ? { ...s, state: 'not submitted' } : s)) : status.points;
  const plan = planSubmission(r.points, statuses);
  const script = { command: taskCommand(), threads: r.threads, ...(r.backend ? { backend: r.backend } : {}) };
  if (r.dryRun) return dryRun(r, plan, script, slurmArgs, status.slurm, io);
  if (!plan.merge) {
    if (plan.inFlight.length > 0) {
      io.out(`nothing to submit: every point is done, queued or running (Slurm jobs ${plan.inFlight.join(', ')}); follow with 'dp-canary study --status ${r.out}'\n`);
      return;
    }
    io.err('every point is done; writing the reports here\n');
    await r.writeReports(mergeStudyResults([r.out], slurm));
    return;
  }
  const jobs = submitPlan(plan, { layout, points: r.points, ...(r.preset ? { preset: r.preset } : {}), script, slurmArgs, slurm });
  if (r.json) {
    io.out(toJson({ submitted: jobs, waitingFor: plan.inFlight }) + '\n');
    return;
  }
  const name: Record<SlurmJobKind, string> = { public: 'public model', points: 'array', merge: 'merge' };
  io.out(`submitted ${planSummary(plan)} to Slurm (${plural(r.threads, 'CPU')} per task):\n`);
  for (const j of jobs) io.out(`  ${name[j.kind]} job ${j.jobId}${j.kind === 'points' ? ` (${plural(j.points.length, 'task')}: ${j.points.join(', ')})` : ''}\n`);
  if (plan.inFlight.length > 0) io.out(`  (the merge also waits for jobs already queued: ${plan.inFlight.join(', ')})\n`);
  io.out(`follow with 'dp-canary study --status ${r.out}'; the merge job writes ${join(r.out, 'report.md')}\n`);
}

async function dryRun(
  r: SlurmStudyRequest,
  plan: SubmissionPlan,
  script: { command: string[]; threads: number; backend?: string },
  slurmArgs: string[],
  slurmAnswer: string,
  io: CliIO,
): Promise<void> {
  const layout = slurmLayout(r.out);
  const calls = plannedCalls(layout, plan, readSubmissions(layout).submissions.length + 1);
  const scripts = Object.entries(studyScripts(layout, r.points, script)).map(([kind, text]) => ({ path: scriptPath(layout, kind as SlurmJobKind), text }));
  const lists = calls.flatMap((c) => (c.list ? [{ path: c.list, text: c.points.join('\n') + '\n' }] : []));
  const transcript = dryRunTranscript(layout, calls, slurmArgs);
  const planned = new Set([...(plan.public ? [plan.public] : []), ...plan.scratch, ...plan.fineTune]);
  // A task starts as this process did: Node, dp-canary and tfjs loaded, the backend chosen.
  const startupSeconds = process.uptime();
  io.err(`estimating each point's wall time: timing a few training steps and scorings of each kind of model here ...\n`);
  const estimates = (await estimatePoints(r.points, seededRandom('slurm-estimate'), { startupSeconds, log: (m) => io.err(`${m}\n`) })).filter((e) => planned.size === 0 || planned.has(e.id));
  const tasks = plan.scratch.length + plan.fineTune.length;
  if (r.json) {
    io.out(toJson({ dryRun: true, plan, scripts, lists, sbatch: transcript.trim().split('\n'), estimates, estimateNote: 'ESTIMATE, measured on one thread of this machine', suggestedTime: estimates.length ? suggestedTime(estimates) : null }) + '\n');
    return;
  }
  io.out(`dry run: nothing written, nothing submitted (Slurm: ${slurmAnswer}).\n`);
  io.out(`would submit ${planSummary(plan) || 'nothing'}: ${plural(tasks, 'array task')}${plan.public ? ', a public job' : ''}${plan.merge ? ' and a merge job' : ''}; ${plural(script.threads, 'CPU')} per task\n\n`);
  for (const f of [...scripts, ...lists]) io.out(`==> ${f.path} <==\n${f.text}\n`);
  io.out(`==> sbatch command lines <==\n${transcript}\n`);
  if (estimates.length === 0) return;
  io.out(
    'ESTIMATED wall time per point, for a task with one CPU of its own like this machine\'s (measured here on one thread: start-up and data preparation, ' +
      'a few training steps and scorings of each model, times the planned work; extraction at its full query budget):\n',
  );
  const width = Math.max(...estimates.map((e) => e.id.length), 5);
  const cols = ['steps', 'start-up', 'training', 'measuring', 'total'];
  io.out(`  ${'point'.padEnd(width)}  ${cols.map((c) => c.padStart(9)).join('  ')}\n`);
  for (const e of estimates) {
    const cells = [String(e.steps), hms(e.setupSeconds), hms(e.trainSeconds), hms(e.measureSeconds), hms(e.totalSeconds)];
    io.out(`  ${e.id.padEnd(width)}  ${cells.map((c) => c.padStart(9)).join('  ')}\n`);
  }
  io.out(`suggested time limit per task (longest estimate x 1.5): --slurm-args '--time=${suggestedTime(estimates)}'\n`);
}

/** `study --status DIR`: each point's state, from the folder and, where it answers, Slurm. */
export function printStudyStatus(dir: string, json: boolean, io: CliIO): void {
  const s = studyStatus(dir, new SystemSlurm());
  if (json) {
    io.out(toJson(s) + '\n');
    return;
  }
  const counts = POINT_STATES.map((st) => [st, s.points.filter((p) => p.state === st).length] as const).filter(([, n]) => n > 0);
  io.out(`${dir}: ${counts.map(([st, n]) => `${n} ${st}`).join(', ')} (of ${s.points.length} points; Slurm ${s.slurm})\n`);
  const width = Math.max(...s.points.map((p) => p.id.length), 5);
  const stateWidth = Math.max(...s.points.map((p) => p.state.length));
  for (const p of s.points) io.out(`  ${p.id.padEnd(width)}  ${p.state.padEnd(stateWidth)}  ${p.detail}`.trimEnd() + '\n');
}

/** `study --merge`: the results of the inputs, every study folder's missing points marked failed (asking Slurm why, where it answers). */
export function mergeForCli(inputs: readonly string[]): StudyReport {
  return mergeStudyResults(inputs, new SystemSlurm());
}
