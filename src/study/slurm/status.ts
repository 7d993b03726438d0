import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readStudyGrid } from '../jobs.js';
import { loadSavedResult } from '../runner.js';
import type { PresetName, StudyPoint } from '../types.js';
import { ACTIVE_STATES, type SchedulerJob, type SlurmClient } from './client.js';
import { latestJobs, readSubmissions } from './record.js';
import { logPath, slurmLayout } from './scripts.js';

/**
 * Where each point of a study stands, from the study folder (results, checkpoints, the Slurm
 * submission record) and, where Slurm answers, from squeue/sacct.
 */

/**
 * done: its result is saved. failed: its result says it failed, or its Slurm job ended
 * without writing one (cancelled, time limit, node failure, a bad job). running / pending: its
 * Slurm job is running / waiting. not submitted: never submitted and no result (for example a
 * local study not run yet). unknown: submitted, no result yet, and Slurm did not answer.
 */
export const POINT_STATES = ['done', 'failed', 'running', 'pending', 'not submitted', 'unknown'] as const;
export type PointState = (typeof POINT_STATES)[number];

export interface PointStatus {
  id: string;
  state: PointState;
  /** One line for people: the Slurm job, why it waits or how it ended, the point's error, its checkpoint. '' when nothing to add. */
  detail: string;
  /** Its latest Slurm job or array task ("12", "13_4"), when it was submitted. */
  job?: string;
  /** Steps its checkpoint holds, when it has one and no result (a resubmitted point resumes there). */
  checkpointStep?: number;
}

export interface StudyStatus {
  studyDir: string;
  preset?: PresetName;
  /** Every point of the study's grid (grid.json), in grid order. */
  points: PointStatus[];
  /** Whether Slurm was asked and answered; 'not asked' when no point was ever submitted. */
  slurm: 'answered' | 'no answer' | 'not asked';
}

/** Slurm states of a job that is running (rather than waiting). */
const RUNNING_STATES = new Set(['RUNNING', 'CONFIGURING', 'COMPLETING', 'SIGNALING', 'STAGE_OUT']);

/** The step of a run folder's checkpoint, or undefined (none, or unreadable: it is then rebuilt). */
function checkpointStep(studyDir: string, id: string): number | undefined {
  const path = join(studyDir, 'runs', id, 'checkpoint.json');
  if (!existsSync(path)) return undefined;
  try {
    const step = (JSON.parse(readFileSync(path, 'utf8')) as { step?: unknown }).step;
    return Number.isSafeInteger(step) ? (step as number) : undefined;
  } catch {
    return undefined;
  }
}

/** The last line dp-canary wrote as an error into a task's log ("dp-canary: ..."), if any. */
function loggedError(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  const lines = readFileSync(file, 'utf8').split('\n').map((l) => l.trim());
  // slurmstepd names itself "slurmstepd-<node>" when it reports a cancellation or time limit.
  return lines.reverse().find((l) => l.startsWith('dp-canary:') || /^slurmstepd(-\S+)?: error/.test(l));
}

function describeJob(jobId: string, sj: SchedulerJob | undefined): string {
  if (!sj) return `Slurm job ${jobId} ended without writing a result (Slurm no longer lists it)`;
  const reason = sj.reason && sj.reason !== 'None' ? ` (${sj.reason})` : '';
  return `Slurm job ${jobId} ended ${sj.state}${reason} without writing a result`;
}

/**
 * The status of every point of the study in `studyDir`: the points of its grid.json
 * (InvalidArgumentError when it is not a study folder), or `grid` when given (a study about to
 * be submitted, whose folder may not exist yet). `slurm` is asked about submitted points
 * without a result; pass null where Slurm is not reachable (those points are then 'unknown').
 */
export function studyStatus(studyDir: string, slurm: SlurmClient | null, grid?: readonly StudyPoint[]): StudyStatus {
  const { preset, points } = grid ? { preset: undefined, points: grid } : readStudyGrid(studyDir);
  const layout = slurmLayout(studyDir);
  const latest = latestJobs(readSubmissions(layout));
  const results = new Map(points.map((p) => [p.id, loadSavedResult(studyDir, p)]));
  const asked = points.filter((p) => results.get(p.id)?.status !== 'ok' && latest.has(p.id)).map((p) => latest.get(p.id)!.jobId);
  const sched = asked.length > 0 && slurm ? slurm.jobs(asked) : null;
  const byId = new Map<string, PointStatus>();
  const statusOf = (p: StudyPoint): PointStatus => {
    const saved = results.get(p.id);
    const job = latest.get(p.id);
    const base = { id: p.id, ...(job ? { job: job.jobId } : {}) };
    if (saved?.status === 'ok') return { ...base, state: 'done', detail: '' };
    const sj = job && sched ? sched.get(job.jobId) : undefined;
    const step = checkpointStep(studyDir, p.id);
    const cp = step !== undefined ? { checkpointStep: step } : {};
    const cpText = step !== undefined ? `; checkpoint at step ${step} (it resumes there)` : '';
    if (job && sj && ACTIVE_STATES.has(sj.state)) {
      const reason = sj.reason && sj.reason !== 'None' ? `, ${sj.reason}` : '';
      const progress = step !== undefined ? `; checkpoint at step ${step}` : '';
      return { ...base, ...cp, state: RUNNING_STATES.has(sj.state) ? 'running' : 'pending', detail: `Slurm job ${job.jobId} ${sj.state}${reason}${progress}` };
    }
    if (saved?.status === 'failed') return { ...base, ...cp, state: 'failed', detail: saved.error };
    if (!job) return { ...base, ...cp, state: 'not submitted', detail: cpText.replace(/^; /, '') };
    if (!sched) return { ...base, ...cp, state: 'unknown', detail: `submitted as Slurm job ${job.jobId}; Slurm did not answer${cpText}` };
    const dep = p.initFromPoint !== undefined ? byId.get(p.initFromPoint) : undefined;
    const why = dep && dep.state === 'failed' ? `not run: its starting point '${dep.id}' failed; ` : '';
    const logged = loggedError(logPath(layout, job.kind, job.jobId));
    return { ...base, ...cp, state: 'failed', detail: `${why}${describeJob(job.jobId, sj)}${logged ? `: ${logged}` : ''}${cpText}` };
  };
  // Grid order puts the public point before the points that start from it.
  for (const p of points) byId.set(p.id, statusOf(p));
  return {
    studyDir,
    ...(preset ? { preset } : {}),
    points: points.map((p) => byId.get(p.id)!),
    slurm: asked.length === 0 ? 'not asked' : sched ? 'answered' : 'no answer',
  };
}
