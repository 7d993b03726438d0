import { InvalidArgumentError } from '../../util/errors.js';
import { splitShellWords } from './shell-words.js';

/** sbatch options dp-canary sets itself, and the flag of dp-canary that decides each instead. */
const RESERVED: readonly { long: string; short?: string; instead: string }[] = [
  { long: 'cpus-per-task', short: 'c', instead: 'it is set from --threads' },
  { long: 'array', short: 'a', instead: 'dp-canary makes one task per point' },
  { long: 'dependency', short: 'd', instead: 'dp-canary orders the public, point and merge jobs itself' },
  { long: 'output', short: 'o', instead: 'task logs go to <out>/slurm/logs/' },
  { long: 'error', short: 'e', instead: 'task logs go to <out>/slurm/logs/' },
  { long: 'job-name', short: 'J', instead: 'dp-canary names its jobs' },
  { long: 'parsable', instead: 'dp-canary reads the job ids itself' },
  { long: 'wrap', instead: 'dp-canary writes the job scripts' },
  { long: 'kill-on-invalid-dep', instead: 'dp-canary cancels fine-tune points whose public model failed' },
];

/**
 * The words of `--slurm-args` (partition, account, time limit, memory, QOS, ...), passed to
 * every sbatch call before the script. Shell syntax is refused (splitShellWords), and so is
 * any option dp-canary sets itself (array, dependency, cpus-per-task, output, job name), also
 * as an unambiguous prefix of its long name (sbatch accepts those), each with a one-line why.
 */
export function parseSlurmArgs(text: string): string[] {
  const words = splitShellWords(text, '--slurm-args');
  for (const w of words) {
    let hit: (typeof RESERVED)[number] | undefined;
    if (w.startsWith('--')) {
      const name = w.slice(2).split('=', 1)[0]!;
      if (name.length >= 1) hit = RESERVED.find((r) => r.long.startsWith(name));
    } else if (/^-[A-Za-z]/.test(w)) {
      hit = RESERVED.find((r) => r.short === w[1]);
    }
    if (hit) throw new InvalidArgumentError(`--slurm-args: sbatch's --${hit.long} is not yours to set here (${hit.instead})`);
  }
  return words;
}
