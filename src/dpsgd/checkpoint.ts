/**
 * Checkpoint file (one JSON file; the commit point is one atomic rename):
 *
 * ```json
 * { "format": "dp-canary-checkpoint", "version": 1,
 *   "step": 120,                         // steps whose updates are in these weights
 *   "model": { ...model file, see model-io.ts... },
 *   "optimizer": { "config": {...}, "iterations": 120, "slots": { "<param>": { "m": "<base64>" } } },
 *   "ledger": { "events": [<DpEvent>...] } | null,   // null for non-private runs; the older
 *                                                   // { "accountant": "rdp", "events": [...] } still loads
 *   "random": { "kind": "seeded" | "secure", "state": <RandomSource.state()> | null },
 *   "run": { ...the settings the run was started with, checked on resume... } }
 * ```
 * Weights, optimizer state, ledger and step counter are written together, so they always agree.
 * A secure (non-replayable) run also keeps a small journal `<path>.journal.json` with the number
 * of steps STARTED, written before each step: after a crash, steps that ran after the last
 * checkpoint may have been observed (e.g. through the progress callback) and are charged to the
 * ledger on resume. A seeded run replays those steps bit for bit (same batch, same noise), so
 * re-running them releases nothing new and they are not charged twice.
 */
import { existsSync, readFileSync } from 'node:fs';
import { InvalidArgumentError } from '../util/errors.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic-write.js';
import { toPrettyJson } from '../util/json.js';
import type { SeededState } from '../util/random.js';
import type { LedgerJson } from '../accountant/index.js';
import type { RunPlan } from './run-plan.js';
import type { ModelJson } from './model-io.js';
import type { OptimizerJson } from './optimizers.js';

export interface CheckpointJson {
  format: 'dp-canary-checkpoint';
  version: 1;
  step: number;
  model: ModelJson;
  optimizer: OptimizerJson;
  ledger: LedgerJson | null;
  random: { kind: 'seeded' | 'secure'; state: SeededState | null };
  /** The run's plan (run-plan.ts), checked on resume. */
  run: RunPlan;
}

export function saveCheckpoint(path: string, ckpt: CheckpointJson): void {
  // A non-private run has clipNorm = Infinity, which plain JSON would turn into null.
  writeFileAtomic(path, toPrettyJson(ckpt));
}

function readJson(path: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new InvalidArgumentError(`cannot read ${what} ${path} (missing or not valid JSON).`);
  }
}

export function loadCheckpoint(path: string): CheckpointJson {
  const v = readJson(path, 'checkpoint') as Partial<CheckpointJson> | null;
  if (!v || v.format !== 'dp-canary-checkpoint' || v.version !== 1) throw new InvalidArgumentError(`${path} is not a version 1 dp-canary checkpoint.`);
  if (!Number.isInteger(v.step) || (v.step as number) < 0 || !v.model || !v.optimizer || !v.random || !v.run) {
    throw new InvalidArgumentError(`checkpoint ${path} is incomplete.`);
  }
  const run = v.run as unknown as Omit<RunPlan, 'clipNorm'> & { clipNorm: unknown };
  if (run.clipNorm === 'Infinity') return { ...(v as CheckpointJson), run: { ...run, clipNorm: Infinity } };
  if (typeof run.clipNorm !== 'number') throw new InvalidArgumentError(`checkpoint ${path} has no valid clip norm.`);
  return v as CheckpointJson;
}

export function journalPath(path: string): string {
  return `${path}.journal.json`;
}

/** Record that step `stepsStarted - 1` (0-based) is about to run. */
export function writeJournal(path: string, stepsStarted: number): void {
  writeJsonAtomic(journalPath(path), { stepsStarted });
}

/** Steps started according to the journal, or null when there is none. */
export function readJournal(path: string): number | null {
  const p = journalPath(path);
  if (!existsSync(p)) return null;
  const v = readJson(p, 'checkpoint journal') as { stepsStarted?: unknown };
  if (!Number.isInteger(v.stepsStarted)) throw new InvalidArgumentError(`checkpoint journal ${p} is malformed.`);
  return v.stepsStarted as number;
}
