import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellCommand, shellQuote, splitShellWords } from '../../../src/study/slurm/shell-words.js';
import { parseSlurmArgs } from '../../../src/study/slurm/slurm-args.js';
import { InvalidArgumentError } from '../../../src/util/errors.js';
import { seededRandom } from '../../../src/util/random.js';

/** The words bash itself makes of `text` (the independent reference). */
function bashWords(text: string): string[] {
  const r = spawnSync('bash', ['-c', `for w in ${text}; do printf '%s\\0' "$w"; done`], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split('\0').slice(0, -1);
}

describe('shell words', () => {
  it('splits plain options, quotes and escapes as bash does', () => {
    const cases = [
      '--partition=cpu --time=1:00:00',
      "  -p  debug\t--mem=4G ",
      `--comment='two words' --comment="say \\"hi\\""`,
      `a\\ b 'it'\\''s' ""`,
      `--x="a\\\\b"`,
    ];
    for (const c of cases) expect(splitShellWords(c, 'test'), c).toEqual(bashWords(c));
  });

  it('shellQuote makes any word read back unchanged by bash (random words with every special character)', () => {
    const r = seededRandom('shell-quote');
    const alphabet = ` \t'"\\$\`;|&<>()*?[]{}~#!=:,./@%-_aZ9é`;
    const words = Array.from({ length: 60 }, () => Array.from({ length: r.int(8) }, () => alphabet[r.int(alphabet.length)]!).join(''));
    const line = shellCommand(words);
    expect(bashWords(line)).toEqual(words);
    // And our own splitter reads quoted words back too.
    expect(splitShellWords(line, 'test')).toEqual(words);
    expect(shellQuote('--time=1:00:00')).toBe('--time=1:00:00');
    expect(shellQuote('')).toBe("''");
  });

  it('refuses shell syntax it would not honour, with one line naming the flag', () => {
    for (const bad of ['--mem=$MEM', '--x=`id`', 'a; rm -rf /', 'a | b', '--out=>f', "'open", '"open', 'end\\', '--x="$HOME"']) {
      expect(() => splitShellWords(bad, '--slurm-args'), bad).toThrow(InvalidArgumentError);
      expect(() => splitShellWords(bad, '--slurm-args'), bad).toThrow(/^--slurm-args: /);
    }
    expect(splitShellWords("--x='$HOME;'", 't')).toEqual(['--x=$HOME;']);
  });
});

describe('--slurm-args', () => {
  it('passes partition, account, time, memory, QOS and constraints through', () => {
    expect(parseSlurmArgs("--partition=cpu -A proj --time=2:00:00 --mem=8G --qos=normal --constraint='a|b' --comment c")).toEqual([
      '--partition=cpu', '-A', 'proj', '--time=2:00:00', '--mem=8G', '--qos=normal', '--constraint=a|b', '--comment', 'c',
    ]);
  });

  it('refuses the options dp-canary sets itself, also as short options and unambiguous prefixes', () => {
    for (const bad of ['--cpus-per-task=4', '-c 4', '-c4', '--cpus=4', '--array=0-3', '-a 1', '--dependency=afterok:1', '--dep=x', '-o out', '--output=x', '-e x', '--job-name=x', '-J x', '--parsable', '--wrap=x', '--kill-on-invalid-dep=no']) {
      expect(() => parseSlurmArgs(bad), bad).toThrow(/^--slurm-args: sbatch's --[a-z-]+ is not yours to set here \(/);
    }
  });
});
