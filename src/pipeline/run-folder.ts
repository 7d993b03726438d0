import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { manifestFromJson, type CanaryManifest } from '../canary/manifest.js';
import { tokenizerFromJson } from '../data/tokenizer-json.js';
import type { Tokenizer } from '../data/tokenizer.js';
import { loadModel } from '../dpsgd/model-io.js';
import type { LanguageModel } from '../dpsgd/model.js';
import { InvalidArgumentError } from '../util/errors.js';
import type { RunConfig } from './run-config.js';

/**
 * The files of a training run folder (`dp-canary train --out DIR`). Every file is written
 * atomically; a run is complete when metrics.json exists.
 *
 * - run.json        the RunConfig, backend and randomness of the run
 * - tokenizer.json  the tokenizer (restore with tokenizerFromJson)
 * - manifest.json   the canaries: format, secrets, insertion counts and positions
 * - checkpoint.json weights, optimizer state, privacy ledger, generator state (for --resume)
 * - model.json      final weights + model config (src/dpsgd/model-io.ts format)
 * - ledger.json     the privacy ledger with epsilon at delta (and the starting point's record
 *                   when the run was fine-tuned with --init-from)
 * - history.json    per-epoch records so far (training and validation loss, epsilon, exposure);
 *                   a resumed run keeps those up to its checkpoint
 * - progress.json   the current epoch's training-loss sums at the last checkpoint (for --resume)
 * - metrics.json    validation loss, steps, epsilon, per-epoch history
 * - exposure.json   exposure and extraction of every canary
 * - audit.json      the one-run privacy audit (dp-canary audit), when the run has audit canaries
 */
export const RUN_FILES = {
  run: 'run.json',
  tokenizer: 'tokenizer.json',
  manifest: 'manifest.json',
  checkpoint: 'checkpoint.json',
  model: 'model.json',
  ledger: 'ledger.json',
  history: 'history.json',
  progress: 'progress.json',
  metrics: 'metrics.json',
  exposure: 'exposure.json',
  audit: 'audit.json',
} as const;

export type RunFile = keyof typeof RUN_FILES;

export function runPath(dir: string, file: RunFile): string {
  return join(dir, RUN_FILES[file]);
}

/** What run.json records. */
export interface RunRecord {
  schema: 'dp-canary/run@1';
  config: RunConfig;
  /** tfjs backend the run trained on. */
  backend: string;
  /** Randomness of DP noise and batch sampling. */
  randomSource: 'seeded' | 'secure';
}

function requireFile(dir: string, file: RunFile): string {
  const p = runPath(dir, file);
  if (!existsSync(p)) throw new InvalidArgumentError(`${dir} is not a finished dp-canary run: ${RUN_FILES[file]} is missing`);
  return p;
}

function readJson(dir: string, file: RunFile): unknown {
  const p = requireFile(dir, file);
  try {
    return JSON.parse(readFileSync(p, 'utf8'));
  } catch {
    throw new InvalidArgumentError(`${p} is not valid JSON (the run folder is damaged)`);
  }
}

/** The canary manifest of a run folder (cheap: no model is loaded). */
export function loadRunManifest(dir: string): CanaryManifest {
  if (!existsSync(dir)) throw new InvalidArgumentError(`run folder ${dir} does not exist`);
  return manifestFromJson(readFileSync(requireFile(dir, 'manifest'), 'utf8'));
}

/** A finished run's model, tokenizer and canaries, ready to be measured. */
export interface LoadedRun {
  dir: string;
  record: RunRecord;
  model: LanguageModel;
  tokenizer: Tokenizer;
  manifest: CanaryManifest;
}

/** Load a finished run folder; InvalidArgumentError when it is not one. */
export function loadRun(dir: string): LoadedRun {
  if (!existsSync(dir)) throw new InvalidArgumentError(`run folder ${dir} does not exist`);
  const record = readJson(dir, 'run') as RunRecord;
  if (record?.schema !== 'dp-canary/run@1') throw new InvalidArgumentError(`${runPath(dir, 'run')} is not a dp-canary run record`);
  const tokenizer = tokenizerFromJson(readJson(dir, 'tokenizer'));
  const manifest = loadRunManifest(dir);
  const { model } = loadModel(requireFile(dir, 'model'));
  if (model.config.vocabSize !== tokenizer.vocabSize) {
    model.dispose();
    throw new InvalidArgumentError(`${dir}: the model's vocabulary (${model.config.vocabSize}) does not match the tokenizer's (${tokenizer.vocabSize})`);
  }
  return { dir, record, model, tokenizer, manifest };
}

/**
 * run.json of the run in `dir`; InvalidArgumentError, prefixed with `purpose` (e.g. "cannot resume"), when
 * there is none or it is damaged.
 */
export function readRunRecord(dir: string, purpose = 'cannot resume'): RunRecord {
  const p = runPath(dir, 'run');
  if (!existsSync(p)) throw new InvalidArgumentError(`${purpose}: ${dir} holds no run (run.json is missing)`);
  let record: RunRecord;
  try {
    record = JSON.parse(readFileSync(p, 'utf8')) as RunRecord;
  } catch {
    throw new InvalidArgumentError(`${purpose}: ${p} is not valid JSON`);
  }
  if (record?.schema !== 'dp-canary/run@1' || typeof record.config !== 'object' || record.config === null) {
    throw new InvalidArgumentError(`${purpose}: ${p} is not a dp-canary run record`);
  }
  return record;
}
