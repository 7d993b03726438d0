import { readFileSync } from 'node:fs';
import { writeJsonAtomic } from '../util/atomic-write.js';
import { runPath } from './run-folder.js';

/**
 * What a run's per-epoch record needs besides the model, as it stood at a checkpointed step:
 * the current epoch's training-loss sums (over the steps of the epoch so far) and the epsilon
 * spent. A resumed run restores the sums, so the epoch it resumes in reports the training loss
 * of all its steps, and it rebuilds the record of an epoch whose end was checkpointed but whose
 * record was not yet written when the run was killed (progress.json, written right after the
 * trainer's checkpoint of the same step).
 */
export interface EpochProgress {
  /** Steps done (the checkpoint's step). */
  step: number;
  /** Sum over the epoch's steps so far of the batch loss times its tokens, nats. */
  lossSum: number;
  /** Tokens of the epoch's steps so far. */
  tokens: number;
  /** Epsilon spent after `step` steps (Infinity for non-private runs). */
  epsilon: number;
}

export function writeEpochProgress(dir: string, p: EpochProgress): void {
  writeJsonAtomic(runPath(dir, 'progress'), { ...p, epsilon: Number.isFinite(p.epsilon) ? p.epsilon : 'Infinity' });
}

/** The folder's progress.json, or null when it is missing or damaged (a resume then does without it). */
export function readEpochProgress(dir: string): EpochProgress | null {
  try {
    const v = JSON.parse(readFileSync(runPath(dir, 'progress'), 'utf8')) as Record<string, unknown>;
    const p = { step: v['step'], lossSum: v['lossSum'], tokens: v['tokens'], epsilon: Number(v['epsilon']) };
    const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
    if (!(Number.isSafeInteger(p.step) && finite(p.lossSum) && finite(p.tokens) && p.epsilon >= 0)) return null;
    return p as EpochProgress;
  } catch {
    return null;
  }
}
