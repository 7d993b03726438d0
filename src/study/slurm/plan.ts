import { InvalidArgumentError } from '../../util/errors.js';
import type { StudyPoint } from '../types.js';
import type { PointStatus } from './status.js';

/**
 * What one `study --executor slurm` submits: only the points that are not done and not already
 * queued or running, as (at most) a public job, an array of points that start from scratch,
 * an array of fine-tune points (afterok on the public job: Slurm's dependencies hold for a whole
 * array, so only the fine-tune tasks wait), and a merge job after everything (afterany).
 */
export interface SubmissionPlan {
  /** The public point's id, when it must run. */
  public: string | null;
  /** Points with no starting point, in grid order (one array task each). */
  scratch: string[];
  /** Points that start from the public point, in grid order (one array task each). */
  fineTune: string[];
  /**
   * The fine-tune array's afterok dependency: 'new' (the public job of this plan), a job id of a
   * public job already queued or running, or null (the public model is done).
   */
  fineTuneAfter: 'new' | string | null;
  /** Jobs already queued or running (base job ids, "12"): the merge job waits for them too. */
  inFlight: string[];
  /** Whether a merge job is needed (something was submitted now). */
  merge: boolean;
}

/** Base job id of a job or array task ("13_4" -> "13"). */
function baseJob(job: string): string {
  return job.split('_')[0]!;
}

/**
 * Plan a submission from the grid and each point's status (studyStatus, which must have had
 * Slurm's answer: an 'unknown' point is an InvalidArgumentError, since it may still be queued).
 * Points 'done' are kept; 'running' and 'pending' ones are waited for, not submitted again;
 * 'failed' and 'not submitted' ones are submitted (a killed point resumes from its checkpoint).
 */
export function planSubmission(points: readonly StudyPoint[], statuses: readonly PointStatus[]): SubmissionPlan {
  const byId = new Map(statuses.map((s) => [s.id, s]));
  const unknown = statuses.find((s) => s.state === 'unknown');
  if (unknown) throw new InvalidArgumentError(`cannot tell whether point ${unknown.id} is still queued (${unknown.detail}); try again when squeue answers`);
  const missing = points.find((p) => !byId.has(p.id));
  if (missing) throw new InvalidArgumentError(`point ${missing.id} has no status`);
  const pub = points.find((p) => p.mode === 'public') ?? null;
  const plan: SubmissionPlan = { public: null, scratch: [], fineTune: [], fineTuneAfter: null, inFlight: [], merge: false };
  for (const p of points) {
    const s = byId.get(p.id)!;
    if ((s.state === 'running' || s.state === 'pending') && s.job) plan.inFlight.push(baseJob(s.job));
    if (s.state !== 'failed' && s.state !== 'not submitted') continue;
    if (p.mode === 'public') plan.public = p.id;
    else if (p.initFromPoint !== undefined) plan.fineTune.push(p.id);
    else plan.scratch.push(p.id);
  }
  plan.inFlight = [...new Set(plan.inFlight)];
  if (plan.fineTune.length > 0) {
    if (!pub || plan.fineTune.some((id) => points.find((p) => p.id === id)!.initFromPoint !== pub.id)) {
      throw new InvalidArgumentError('a fine-tune point starts from a point that is not the study\'s public point');
    }
    const ps = byId.get(pub.id)!;
    plan.fineTuneAfter = plan.public !== null ? 'new' : ps.state === 'done' ? null : ps.job ? baseJob(ps.job) : null;
  }
  plan.merge = plan.public !== null || plan.scratch.length > 0 || plan.fineTune.length > 0;
  return plan;
}
