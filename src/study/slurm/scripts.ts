import { join } from 'node:path';
import { shellCommand, shellQuote } from './shell-words.js';

/**
 * Where a Slurm study keeps its scheduler files, all under <out>/slurm/ (the results stay where
 * a local study puts them: <out>/points/, <out>/runs/, <out>/report.*).
 */
export interface SlurmLayout {
  /** The study folder (absolute; it must be on a filesystem the compute nodes share). */
  studyDir: string;
  /** <out>/slurm: scripts and the submission record. */
  slurmDir: string;
  /** <out>/slurm/jobs: one job file per point (the format of `study --write-jobs`). */
  jobsDir: string;
  /** <out>/slurm/lists: for each array submission, its points' ids, one per line (task i runs line i+1). */
  listsDir: string;
  /** <out>/slurm/logs: each task's stdout and stderr. */
  logsDir: string;
}

/** The scheduler folders of a study folder. */
export function slurmLayout(studyDir: string): SlurmLayout {
  const slurmDir = join(studyDir, 'slurm');
  return { studyDir, slurmDir, jobsDir: join(slurmDir, 'jobs'), listsDir: join(slurmDir, 'lists'), logsDir: join(slurmDir, 'logs') };
}

/** The kinds of Slurm jobs of a study, each with its own script. */
export const SLURM_JOB_KINDS = ['public', 'points', 'merge'] as const;
export type SlurmJobKind = (typeof SLURM_JOB_KINDS)[number];

/** Script file of each kind of job. */
export function scriptPath(layout: SlurmLayout, kind: SlurmJobKind): string {
  return join(layout.slurmDir, `${kind}.sbatch`);
}

/** A job's log file as Slurm names it (the pattern in the script): public-<job>.out, <array job>_<task>.out, merge-<job>.out. */
export function logPath(layout: SlurmLayout, kind: SlurmJobKind, jobId: string): string {
  return join(layout.logsDir, kind === 'points' ? `${jobId}.out` : `${kind}-${jobId}.out`);
}

/** What every script needs to run dp-canary on a compute node. */
export interface ScriptSettings {
  /**
   * The command that runs dp-canary, as absolute paths the compute nodes can reach, e.g.
   * [process.execPath, '/home/me/dp-canary/dist/src/cli/main.js'].
   */
  command: readonly string[];
  /** Threads of each point: the task's --cpus-per-task and the point's --threads (>= 1). */
  threads: number;
  /** tfjs backend for the tasks (absent: the fastest available on the node). */
  backend?: string;
}

function header(layout: SlurmLayout, what: string, name: string, threads: number, output: string): string[] {
  return [
    '#!/bin/bash',
    `# dp-canary study ${layout.studyDir}: ${what}`,
    '# Written by `dp-canary study --executor slurm`; it submits this script itself.',
    `#SBATCH --job-name=${name}`,
    `#SBATCH --cpus-per-task=${threads}`,
    `#SBATCH --output=${join(layout.logsDir, output)}`,
    'set -euo pipefail',
  ];
}

/** `study --job` of one point into the study folder, on the task's CPUs. */
function pointCommand(s: ScriptSettings, layout: SlurmLayout, jobFile: string): string {
  const flags = ['--out', layout.studyDir, '--threads', String(s.threads), '--concurrency', '1', ...(s.backend ? ['--backend', s.backend] : [])];
  return `exec ${shellCommand([...s.command, 'study', '--job'])} ${jobFile} ${shellCommand(flags)}`;
}

/**
 * The public model's job: one task that trains the study's public point (fine-tune points
 * start from it). Its exit status is 0 only when the point finished, so `afterok` is exact.
 */
export function publicScript(layout: SlurmLayout, s: ScriptSettings, publicId: string): string {
  return [
    ...header(layout, 'the public model (fine-tune points wait for it)', 'dpc-public', s.threads, 'public-%j.out'),
    pointCommand(s, layout, shellQuote(join(layout.jobsDir, `${publicId}.json`))),
    '',
  ].join('\n');
}

/**
 * The points' job array: task i runs the point on line i+1 of the list file given as the
 * script's argument, writing only into <out>/points/<id>.json and <out>/runs/<id>/ (atomically;
 * a killed task resumes from its checkpoint when submitted again).
 */
export function pointsScript(layout: SlurmLayout, s: ScriptSettings): string {
  return [
    ...header(layout, 'one task per point; its argument is a list of point ids', 'dpc-points', s.threads, '%A_%a.out'),
    'list="$1"',
    'id=$(sed -n "$((SLURM_ARRAY_TASK_ID + 1))p" "$list")',
    'if [ -z "$id" ]; then echo "dp-canary: no point on line $((SLURM_ARRAY_TASK_ID + 1)) of $list" >&2; exit 2; fi',
    'echo "point $id (task ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID})" >&2',
    pointCommand(s, layout, `${shellQuote(layout.jobsDir)}/"$id".json`),
    '',
  ].join('\n');
}

/**
 * The merge job, after every other job has ended however it ended (`afterany`): writes
 * report.json, report.md and report.html into the study folder, marking failed every point
 * without a result (with the reason Slurm gives, when it gives one).
 */
export function mergeScript(layout: SlurmLayout, s: ScriptSettings): string {
  return [
    ...header(layout, 'merges the point results into the reports', 'dpc-merge', 1, 'merge-%j.out'),
    `exec ${shellCommand([...s.command, 'study', '--merge', layout.studyDir, '--out', layout.studyDir])}`,
    '',
  ].join('\n');
}
