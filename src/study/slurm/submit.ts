import { join } from 'node:path';
import { ensureDir, writeFileAtomic } from '../../util/atomic-write.js';
import { DpCanaryError } from '../../util/errors.js';
import { writeJobFiles, writeStudyGrid } from '../jobs.js';
import type { PresetName, StudyPoint } from '../types.js';
import { SlurmError, type SlurmClient } from './client.js';
import type { SubmissionPlan } from './plan.js';
import { readSubmissions, writeSubmissions, type SubmittedJob } from './record.js';
import { mergeScript, pointsScript, publicScript, scriptPath, type ScriptSettings, type SlurmJobKind, type SlurmLayout } from './scripts.js';
import { shellQuote } from './shell-words.js';

/** A job of an earlier sbatch call of the same submission (its index), or a job already in the queue. */
type JobRef = { call: number } | { job: string };

/** One sbatch call of a submission, before job ids are known. */
export interface PlannedCall {
  kind: SlurmJobKind;
  /** Shell variable name in a dry-run transcript: public, scratch, fine_tune, merge. */
  name: string;
  points: string[];
  /** List file of an array call (its argument). */
  list?: string;
  after: { type: 'afterok' | 'afterany'; on: JobRef[] } | null;
}

/** The sbatch calls of a plan, in submission order (every dependency refers to an earlier call or a queued job). */
export function plannedCalls(layout: SlurmLayout, plan: SubmissionPlan, submission: number): PlannedCall[] {
  const calls: PlannedCall[] = [];
  const listFile = (what: string): string => join(layout.listsDir, `${submission}-${what}.txt`);
  if (plan.public !== null) calls.push({ kind: 'public', name: 'public', points: [plan.public], after: null });
  const publicCall = calls.length - 1;
  if (plan.scratch.length > 0) calls.push({ kind: 'points', name: 'scratch', points: plan.scratch, list: listFile('scratch'), after: null });
  if (plan.fineTune.length > 0) {
    const on: JobRef[] = plan.fineTuneAfter === 'new' ? [{ call: publicCall }] : plan.fineTuneAfter !== null ? [{ job: plan.fineTuneAfter }] : [];
    calls.push({ kind: 'points', name: 'fine_tune', points: plan.fineTune, list: listFile('fine-tune'), after: on.length > 0 ? { type: 'afterok', on } : null });
  }
  if (plan.merge) {
    const on: JobRef[] = [...calls.map((_, call) => ({ call })), ...plan.inFlight.map((job) => ({ job }))];
    calls.push({ kind: 'merge', name: 'merge', points: [], after: { type: 'afterany', on } });
  }
  return calls;
}

/**
 * sbatch's arguments for one call (after `sbatch --parsable`): array range, dependency, the
 * user's --slurm-args, the script and its argument. `id` names the job of each reference.
 */
export function sbatchArgs(layout: SlurmLayout, call: PlannedCall, slurmArgs: readonly string[], id: (ref: JobRef) => string): string[] {
  const args: string[] = [];
  if (call.kind === 'points') args.push(`--array=0-${call.points.length - 1}`);
  if (call.after) {
    args.push(`--dependency=${call.after.type}:${call.after.on.map(id).join(':')}`);
    // A fine-tune array whose public job failed can never start: cancel it, so the merge still runs.
    if (call.after.type === 'afterok') args.push('--kill-on-invalid-dep=yes');
  }
  args.push(...slurmArgs, scriptPath(layout, call.kind));
  if (call.list) args.push(call.list);
  return args;
}

/**
 * A dry run's transcript: the sbatch command lines as a shell script that would submit the
 * same jobs (each job id kept in a variable for the dependencies that need it).
 */
export function dryRunTranscript(layout: SlurmLayout, calls: readonly PlannedCall[], slurmArgs: readonly string[]): string {
  const lines = calls.map((call) => {
    const args = sbatchArgs(layout, call, slurmArgs, (ref) => ('call' in ref ? `\${${calls[ref.call]!.name}}` : ref.job));
    // The dependency word holds ${var} references to expand; every other word is quoted.
    const words = ['sbatch', '--parsable', ...args].map((w) => (w.startsWith('--dependency=') ? w : shellQuote(w))).join(' ');
    return `${call.name}=$(${words})`;
  });
  return lines.join('\n') + '\n';
}

/** What a submission needs besides its plan. */
export interface SubmitOptions {
  layout: SlurmLayout;
  points: readonly StudyPoint[];
  preset?: PresetName;
  script: ScriptSettings;
  slurmArgs: readonly string[];
  slurm: SlurmClient;
}

/** The three scripts of a study, by kind (public only when the grid has a public point). */
export function studyScripts(layout: SlurmLayout, points: readonly StudyPoint[], s: ScriptSettings): Partial<Record<SlurmJobKind, string>> {
  const pub = points.find((p) => p.mode === 'public');
  return { ...(pub ? { public: publicScript(layout, s, pub.id) } : {}), points: pointsScript(layout, s), merge: mergeScript(layout, s) };
}

/**
 * Write the study's grid, job files, scripts and list files (all atomically), then submit the
 * plan's jobs with sbatch, recording each job id in <out>/slurm/submissions.json as soon as it
 * is known. Returns the jobs submitted. When sbatch refuses a job, the error (a SlurmError)
 * names the jobs already queued.
 */
export function submitPlan(plan: SubmissionPlan, o: SubmitOptions): SubmittedJob[] {
  const { layout } = o;
  for (const d of [layout.slurmDir, layout.jobsDir, layout.listsDir, layout.logsDir]) ensureDir(d);
  writeStudyGrid(layout.studyDir, o.points, o.preset);
  writeJobFiles(o.points, layout.jobsDir);
  for (const [kind, text] of Object.entries(studyScripts(layout, o.points, o.script))) writeFileAtomic(scriptPath(layout, kind as SlurmJobKind), text);
  const record = readSubmissions(layout);
  const calls = plannedCalls(layout, plan, record.submissions.length + 1);
  for (const c of calls) if (c.list) writeFileAtomic(c.list, c.points.join('\n') + '\n');
  const jobs: SubmittedJob[] = [];
  record.submissions.push({ at: new Date().toISOString(), jobs });
  for (const call of calls) {
    const args = sbatchArgs(layout, call, o.slurmArgs, (ref) => ('call' in ref ? jobs[ref.call]!.jobId : ref.job));
    let jobId: string;
    try {
      jobId = o.slurm.submit(args);
    } catch (err) {
      if (!(err instanceof DpCanaryError) || jobs.length === 0) throw err;
      throw new SlurmError(`${err.message}; already submitted: ${jobs.map((j) => `${j.kind} job ${j.jobId}`).join(', ')} (see study --status)`);
    }
    jobs.push({ kind: call.kind, jobId, points: call.points });
    writeSubmissions(layout, record);
  }
  return jobs;
}
