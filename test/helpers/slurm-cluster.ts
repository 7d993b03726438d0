/**
 * The tests' one-node Slurm cluster (slurm-cluster.sh), and the dp-canary CLI run as a child
 * process the way a user runs it (the compiled dist/, which `npm test` builds first).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findOnPath } from '../../src/study/slurm/client.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const SCRIPT = join(HERE, 'slurm-cluster.sh');
/** The compiled CLI. */
export const CLI = join(HERE, '..', '..', 'dist', 'src', 'cli', 'main.js');

/** Why a one-node cluster cannot start here, or null when it can (Slurm and munge installed, running as root). */
export function clusterUnavailable(): string | null {
  const missing = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'sinfo', 'scontrol', 'scancel'].filter((c) => findOnPath(c) === null);
  if (missing.length > 0) return `Slurm is not installed here (missing ${missing.join(', ')}; apt-get install slurm-wlm munge)`;
  if (process.getuid?.() !== 0) return 'slurmd must start as root';
  return null;
}

/** A running one-node cluster: its folder and slurm.conf. */
export interface Cluster {
  dir: string;
  conf: string;
  /** Stops its daemons and deletes its folder (key, state, logs); idempotent. */
  stop(): void;
}

export function startCluster(): Cluster {
  const dir = mkdtempSync(join(tmpdir(), 'dpc-slurm-cluster-'));
  const r = spawnSync('bash', [SCRIPT, 'start', dir], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`the one-node Slurm cluster did not start: ${r.stderr.trim()}`);
  const conf = r.stdout.trim();
  const stop = (): void => {
    spawnSync('bash', [SCRIPT, 'stop', dir], { timeout: 60_000 });
    rmSync(dir, { recursive: true, force: true });
  };
  return { dir, conf, stop };
}

/** Run a Slurm command against `cluster`; its stdout (throws on a non-zero exit). */
export function slurmCmd(cluster: Cluster, cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, SLURM_CONF: cluster.conf }, timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout;
}

export interface CliRun {
  code: number;
  out: string;
  err: string;
  seconds: number;
}

/** `dp-canary ...args` as a child process with `env` added to this process's environment. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, out, err, seconds: (performance.now() - t0) / 1000 }));
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Wait until the cluster has no job left (pending or running), polling every second; returns
 * the most tasks seen running at once. Throws after `timeoutMs`.
 */
export async function waitUntilIdle(cluster: Cluster, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  let most = 0;
  for (;;) {
    const lines = slurmCmd(cluster, 'squeue', ['-h', '-r', '-o', '%T']).split('\n').filter(Boolean);
    most = Math.max(most, lines.filter((l) => l === 'RUNNING').length);
    if (lines.length === 0) return most;
    if (performance.now() - t0 > timeoutMs) throw new Error(`the cluster still has ${lines.length} job(s) after ${timeoutMs / 1000} s`);
    await sleep(1000);
  }
}
