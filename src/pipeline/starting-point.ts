import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PrivacyLedger } from '../accountant/index.js';
import type { Tokenizer } from '../data/tokenizer.js';
import type { PrivacyUnit } from '../data/units.js';
import type { LanguageModel } from '../dpsgd/model.js';
import { InvalidArgumentError } from '../util/errors.js';
import { loadRun } from './run-folder.js';
import { runPath } from './run-folder.js';

/** Where a run's starting weights came from, as recorded in its metrics and ledger. */
export interface StartingPointRecord {
  /** Absolute path of the run folder the weights and tokenizer came from. */
  run: string;
  /** Whether that run was trained with DP-SGD (then its ledger is composed into this run's). */
  private: boolean;
  /** Its epsilon (nats) at its own delta; Infinity for a non-private run. */
  epsilon: number;
  /** What its epsilon is per (absent in records written before units: window). */
  privacyUnit?: PrivacyUnit;
  /**
   * How its privacy enters this run: 'composed' (a private run's ledger is added to this one, as
   * its data may overlap) or 'treated-as-public' (a non-private run: the user asserts that its
   * training data is public; dp-canary cannot check that claim).
   */
  privacy: 'composed' | 'treated-as-public';
}

/** A finished run loaded as the starting point of another (`train --init-from`). */
export interface StartingPoint {
  model: LanguageModel;
  tokenizer: Tokenizer;
  /** The run's privacy ledger, null for a non-private run. */
  ledger: PrivacyLedger | null;
  record: StartingPointRecord;
}

/** Load a finished run folder as a starting point (InvalidArgumentError when it is not one). */
export function loadStartingPoint(dir: string): StartingPoint {
  const abs = resolve(dir);
  const run = loadRun(abs);
  const lp = runPath(abs, 'ledger');
  if (!existsSync(lp)) {
    run.model.dispose();
    throw new InvalidArgumentError(`${abs} is not a finished dp-canary run: ledger.json is missing`);
  }
  let ledgerFile: { ledger?: unknown; epsilon?: unknown };
  try {
    ledgerFile = JSON.parse(readFileSync(lp, 'utf8')) as typeof ledgerFile;
  } catch {
    run.model.dispose();
    throw new InvalidArgumentError(`${lp} is not valid JSON (the run folder is damaged)`);
  }
  const parsed = ledgerFile.ledger === null || ledgerFile.ledger === undefined ? null : PrivacyLedger.fromJSON(ledgerFile.ledger);
  // A non-private run records a non-private event (older files: no ledger at all).
  const ledger = parsed && !parsed.nonPrivate ? parsed : null;
  // A starting run that was itself fine-tuned from a private run carries that ledger inside its own.
  const epsilon = ledger ? Number(ledgerFile.epsilon) : Infinity;
  return {
    model: run.model,
    tokenizer: run.tokenizer,
    ledger,
    record: {
      run: abs, private: ledger !== null, epsilon, privacy: ledger ? 'composed' : 'treated-as-public',
      ...(ledger ? { privacyUnit: run.record.config.privacyUnit ?? 'window' } : {}),
    },
  };
}
