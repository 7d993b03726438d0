import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { InvalidArgumentError } from '../../util/errors.js';
import { toPrettyJson } from '../../util/json.js';
import { readJsonFile } from '../json.js';
import { SLURM_JOB_KINDS, type SlurmJobKind, type SlurmLayout } from './scripts.js';

/** One sbatch call of a study: its job id and the points it runs (an array's in task order). */
export interface SubmittedJob {
  kind: SlurmJobKind;
  /** Slurm's job id ("12"); task i of an array job is "12_i". */
  jobId: string;
  /** Points in task order (array jobs), the public point (public job), none (merge job). */
  points: string[];
}

/** One `study --executor slurm` that submitted something. */
export interface Submission {
  /** When it was submitted (ISO 8601). */
  at: string;
  jobs: SubmittedJob[];
}

/** Every submission of a study, oldest first: <out>/slurm/submissions.json. */
export interface SubmissionRecord {
  schema: typeof SUBMISSIONS_SCHEMA;
  submissions: Submission[];
}

export const SUBMISSIONS_SCHEMA = 'dp-canary/slurm-submissions@1';

export function recordPath(layout: SlurmLayout): string {
  return join(layout.slurmDir, 'submissions.json');
}

/** The study's submission record; empty when it was never submitted to Slurm. InvalidArgumentError when damaged. */
export function readSubmissions(layout: SlurmLayout): SubmissionRecord {
  const path = recordPath(layout);
  if (!existsSync(path)) return { schema: SUBMISSIONS_SCHEMA, submissions: [] };
  const v = readJsonFile(path) as Partial<SubmissionRecord> | null;
  const bad = (): never => {
    throw new InvalidArgumentError(`'${path}' is not a dp-canary Slurm submission record`);
  };
  if (typeof v !== 'object' || v === null || v.schema !== SUBMISSIONS_SCHEMA || !Array.isArray(v.submissions)) bad();
  for (const s of v!.submissions!) {
    if (typeof s !== 'object' || s === null || typeof s.at !== 'string' || !Array.isArray(s.jobs)) bad();
    for (const j of s.jobs) {
      const ok =
        typeof j === 'object' && j !== null && (SLURM_JOB_KINDS as readonly string[]).includes(j.kind) && typeof j.jobId === 'string' && /^\d+$/.test(j.jobId) &&
        Array.isArray(j.points) && j.points.every((p: unknown) => typeof p === 'string');
      if (!ok) bad();
    }
  }
  return v as SubmissionRecord;
}

/** Save the record (atomically): written after every sbatch, so a submission cut short still knows its jobs. */
export function writeSubmissions(layout: SlurmLayout, record: SubmissionRecord): void {
  writeFileAtomic(recordPath(layout), toPrettyJson(record));
}

/** The latest Slurm job or array task of each point ("12", "13_4"), and its kind. */
export function latestJobs(record: SubmissionRecord): Map<string, { jobId: string; kind: SlurmJobKind }> {
  const latest = new Map<string, { jobId: string; kind: SlurmJobKind }>();
  for (const s of record.submissions) {
    for (const j of s.jobs) {
      j.points.forEach((id, i) => latest.set(id, { jobId: j.kind === 'points' ? `${j.jobId}_${i}` : j.jobId, kind: j.kind }));
    }
  }
  return latest;
}
