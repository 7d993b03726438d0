import { spawnSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { DpCanaryError, InvalidArgumentError } from '../../util/errors.js';

/** A Slurm command failed (sbatch refused a job, the controller did not answer): its first line of stderr. */
export class SlurmError extends DpCanaryError {
  constructor(message: string) {
    super(message);
    this.name = 'SlurmError';
  }
}

/** What Slurm says about one job or array task, e.g. { state: 'PENDING', reason: 'Dependency' }. */
export interface SchedulerJob {
  /** Slurm's job state name: PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, ... */
  state: string;
  /** Why it waits or ended ('None' when nothing to say). */
  reason: string;
}

/** The parts of Slurm a study uses. `SystemSlurm` runs the real commands; tests may stand in. */
export interface SlurmClient {
  /** sbatch --parsable with these arguments; returns the job id ("12"). SlurmError when refused. */
  submit(args: readonly string[]): string;
  /**
   * The state of each of `jobIds` (jobs "12" or array tasks "12_3") that the controller still
   * knows (recently ended ones included), keyed by job or task id; null when Slurm does not
   * answer. A job it no longer knows is absent: it ended a while ago.
   */
  jobs(jobIds: readonly string[]): Map<string, SchedulerJob> | null;
}

/** The full path of `command` on PATH, or null. */
export function findOnPath(command: string, path = process.env['PATH'] ?? ''): string | null {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const file = join(dir, command);
    try {
      accessSync(file, constants.X_OK);
      if (statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return null;
}

/** Check that Slurm's commands a submission needs are on PATH: an InvalidArgumentError names the missing ones. */
export function requireSlurm(path = process.env['PATH'] ?? ''): void {
  const sbatch = findOnPath('sbatch', path);
  const squeue = findOnPath('squeue', path);
  const missing = [sbatch ? null : 'sbatch', squeue ? null : 'squeue'].filter((x) => x !== null);
  if (missing.length > 0) {
    throw new InvalidArgumentError(
      `--executor slurm: ${missing.map((m) => `'${m}'`).join(' and ')} not found on PATH; run this on a Slurm login node (or install Slurm's client commands), or use --executor local`,
    );
  }
}

function firstLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? '';
}

/** Job states Slurm keeps a job in while it may still run. */
export const ACTIVE_STATES: ReadonlySet<string> = new Set([
  'PENDING', 'RUNNING', 'CONFIGURING', 'COMPLETING', 'SUSPENDED', 'REQUEUED', 'REQUEUE_FED', 'REQUEUE_HOLD', 'RESIZING', 'SIGNALING', 'STAGE_OUT', 'STOPPED', 'RESV_DEL_HOLD',
]);

/**
 * The real Slurm: its commands, found on PATH, run as child processes (no shell), 60 s at most
 * each. Without squeue, `jobs` answers null; without sbatch, `submit` is an InvalidArgumentError.
 */
export class SystemSlurm implements SlurmClient {
  private readonly sbatch: string | null;
  private readonly squeue: string | null;
  private readonly sacct: string | null;

  constructor(path = process.env['PATH'] ?? '') {
    this.sbatch = findOnPath('sbatch', path);
    this.squeue = findOnPath('squeue', path);
    this.sacct = findOnPath('sacct', path);
  }

  submit(args: readonly string[]): string {
    if (this.sbatch === null) throw new InvalidArgumentError("--executor slurm: 'sbatch' not found on PATH");
    const r = spawnSync(this.sbatch, ['--parsable', ...args], { encoding: 'utf8', timeout: 60_000 });
    if (r.error) throw new SlurmError(`sbatch did not run: ${r.error.message}`);
    if (r.status !== 0) throw new SlurmError(`sbatch refused the job: ${firstLine(r.stderr) || `exit status ${r.status}`}`);
    // --parsable prints "<id>" or "<id>;<cluster>".
    const id = /^(\d+)/.exec(r.stdout.trim())?.[1];
    if (!id) throw new SlurmError(`sbatch printed no job id (it printed '${firstLine(r.stdout)}')`);
    return id;
  }

  jobs(jobIds: readonly string[]): Map<string, SchedulerJob> | null {
    const out = new Map<string, SchedulerJob>();
    if (this.squeue === null) return null;
    if (jobIds.length === 0) return out;
    const ids = [...new Set(jobIds.map((j) => j.split('_')[0]!))].join(',');
    // -r: one line per array task; -t all: recently ended jobs too (for MinJobAge, 5 minutes by default).
    const r = spawnSync(this.squeue, ['-h', '-r', '-t', 'all', '-j', ids, '-o', '%i|%T|%r'], { encoding: 'utf8', timeout: 60_000 });
    if (r.error) return null;
    if (r.status !== 0) {
      // Every id has ended long ago: the controller no longer knows any of them.
      if (/invalid job id/i.test(r.stderr)) return this.withAccounting(out, jobIds);
      return null;
    }
    for (const line of r.stdout.split('\n')) {
      const [id, state, reason] = line.trim().split('|');
      if (id && state) out.set(id, { state, reason: reason ?? 'None' });
    }
    return this.withAccounting(out, jobIds);
  }

  /** Fill in jobs the controller forgot from sacct, where accounting is on (clusters with slurmdbd). */
  private withAccounting(known: Map<string, SchedulerJob>, jobIds: readonly string[]): Map<string, SchedulerJob> {
    const forgotten = jobIds.filter((j) => !known.has(j));
    if (forgotten.length === 0 || this.sacct === null) return known;
    const ids = [...new Set(forgotten.map((j) => j.split('_')[0]!))].join(',');
    const r = spawnSync(this.sacct, ['-n', '-P', '-X', '-j', ids, '-o', 'JobID,State'], { encoding: 'utf8', timeout: 60_000 });
    if (r.error || r.status !== 0) return known; // accounting off: squeue's answer is all there is
    for (const line of r.stdout.split('\n')) {
      const [id, state] = line.trim().split('|');
      // sacct writes "CANCELLED by 0"; keep the state's name.
      if (id && state && !known.has(id)) known.set(id, { state: state.split(' ')[0]!, reason: 'None' });
    }
    return known;
  }
}
