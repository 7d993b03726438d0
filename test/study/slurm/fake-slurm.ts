import { SlurmError, type SchedulerJob, type SlurmClient } from '../../../src/study/slurm/client.js';

/** A stand-in for Slurm: records sbatch calls, numbers jobs from `first`, answers squeue from `states`. */
export class FakeSlurm implements SlurmClient {
  readonly calls: string[][] = [];
  readonly states = new Map<string, SchedulerJob>();
  /** squeue answers (false: it does not, as when the controller is down). */
  answers = true;
  /** Refuse the sbatch call with this index (0-based), as sbatch does for a bad partition. */
  refuseAt: number | null = null;
  private next: number;

  constructor(first = 100) {
    this.next = first;
  }

  submit(args: readonly string[]): string {
    if (this.refuseAt === this.calls.length) throw new SlurmError("sbatch refused the job: invalid partition specified: 'nope'");
    this.calls.push([...args]);
    return String(this.next++);
  }

  jobs(jobIds: readonly string[]): Map<string, SchedulerJob> | null {
    if (!this.answers) return null;
    return new Map(jobIds.flatMap((id) => (this.states.has(id) ? [[id, this.states.get(id)!] as const] : [])));
  }
}
