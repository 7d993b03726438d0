/**
 * CLI start-up: wall time of whole `dp-canary` processes (Node start, module loading, the
 * command itself), median of several runs, side by side with a bare `node -e 0` and with a
 * command that loads tfjs (`train --help`). Target: epsilon, calibrate and rdp under 250 ms
 * each, which they can only meet by never loading tfjs (see src/cli/commands/index.ts).
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './timing.js';

export const name = 'startup';

const main = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');
const RUNS = 7;
const TARGET_MS = 250;

const COMMANDS: Record<string, string[]> = {
  epsilon: ['epsilon', '--dataset-size', '60000', '--batch-size', '256', '--epochs', '60', '--noise-multiplier', '1.1', '--delta', '1e-5'],
  calibrate: ['calibrate', '--target-epsilon', '3', '--sampling-rate', '0.01', '--steps', '5000', '--delta', '1e-5'],
  rdp: ['rdp', '--sampling-rate', '0.01', '--noise-multiplier', '1.1', '--steps', '1', '--orders', '1.5,2,32'],
};

function wallMs(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  const t = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return t;
}

function timed(args: string[]): number {
  wallMs(args); // warm the file-system cache
  return median(Array.from({ length: RUNS }, () => wallMs(args)));
}

export async function run(): Promise<Record<string, unknown>> {
  const node = timed(['-e', '0']);
  console.log(`node -e 0 (bare Node start): ${node.toFixed(0)} ms`);
  const out: Record<string, number> = { nodeMs: node };
  for (const [cmd, args] of Object.entries(COMMANDS)) {
    const t = timed([main, ...args]);
    out[`${cmd}Ms`] = t;
    console.log(`dp-canary ${cmd}: ${t.toFixed(0)} ms (target < ${TARGET_MS} ms: ${t < TARGET_MS ? 'met' : 'MISSED'})`);
  }
  const tfjs = timed([main, 'train', '--help']);
  out['trainHelpMs'] = tfjs;
  console.log(`dp-canary train --help (loads tfjs): ${tfjs.toFixed(0)} ms`);
  return out;
}
