import { existsSync, readFileSync } from 'node:fs';
import { auditScores, type AuditOutcome } from '../audit/guess.js';
import type { AuditManifest } from '../canary/audit-manifest.js';
import { closeSecretModel, scoreSecrets } from '../canary/secret-model.js';
import type { Tokenizer } from '../data/tokenizer.js';
import { initBackend, type BackendName } from '../dpsgd/backend.js';
import type { LanguageModel } from '../dpsgd/model.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { InvalidArgumentError } from '../util/errors.js';
import { toPrettyJson } from '../util/json.js';
import { concat, openForManifest } from './measure.js';
import { loadRun, loadRunManifest, runPath } from './run-folder.js';

/** Default confidence 1 - beta of the audit's lower bound. */
export const DEFAULT_AUDIT_CONFIDENCE = 0.95;

/** A run's audit (audit.json): the outcome plus what it is compared with. */
export interface RunAudit extends AuditOutcome {
  schema: 'dp-canary/audit@1';
  /** The run's epsilon (nats) at `delta` from its accountant; Infinity for a non-private run. */
  claimedEpsilon: number;
  /** Format of the audit canaries. */
  auditFormat: string;
  /** Mean log-perplexity (bits) of the included and of the excluded audit canaries' secrets. */
  meanLogPerplexityIncluded: number;
  meanLogPerplexityExcluded: number;
}

/**
 * Log-perplexity in bits of each audit canary's secret given a line break and the format's
 * prefix, from the model's zero state (as the canary's training window starts). Reads only the
 * secrets: membership plays no part in scoring. Lower = more likely included.
 */
export async function scoreAuditCanaries(model: LanguageModel, tokenizer: Tokenizer, audit: AuditManifest): Promise<Float64Array> {
  const { sm, canarySymbols } = await openForManifest(model, tokenizer, audit);
  try {
    return await scoreSecrets(sm, concat(canarySymbols));
  } finally {
    closeSecretModel(sm);
  }
}

function mean(xs: number[]): number {
  return xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/**
 * Score the audit canaries, then (only then) read their membership, and bound epsilon from
 * below at `confidence` for the run's delta: see src/audit/guess.ts auditScores. The bound is
 * per training window (the DP unit), converted from the group of `repeats` windows per canary.
 */
export async function auditModel(
  model: LanguageModel,
  tokenizer: Tokenizer,
  audit: AuditManifest,
  o: { confidence: number; delta: number; claimedEpsilon: number },
): Promise<RunAudit> {
  const scores = await scoreAuditCanaries(model, tokenizer, audit);
  const included = audit.canaries.map((c) => c.included);
  const outcome = auditScores(scores, included, { confidence: o.confidence, delta: o.delta, unitsPerCanary: audit.repeats });
  const bits = Array.from(scores);
  return {
    schema: 'dp-canary/audit@1',
    ...outcome,
    claimedEpsilon: o.claimedEpsilon,
    auditFormat: audit.format,
    meanLogPerplexityIncluded: mean(bits.filter((_, i) => included[i])),
    meanLogPerplexityExcluded: mean(bits.filter((_, i) => !included[i])),
  };
}

/** Write a run's audit to its folder as audit.json (atomically). */
export function writeRunAudit(dir: string, a: RunAudit): void {
  writeFileAtomic(runPath(dir, 'audit'), toPrettyJson(a));
}

/** The claimed (epsilon, delta) of a finished run from its metrics.json. */
function claimedPrivacy(dir: string): { epsilon: number; delta: number } {
  const p = runPath(dir, 'metrics');
  if (!existsSync(p)) throw new InvalidArgumentError(`${dir} is not a finished dp-canary run: metrics.json is missing`);
  let raw: { epsilon?: unknown; delta?: unknown };
  try {
    raw = JSON.parse(readFileSync(p, 'utf8')) as typeof raw;
  } catch {
    throw new InvalidArgumentError(`${p} is not valid JSON (the run folder is damaged)`);
  }
  // A non-private run's epsilon is stored as the string "Infinity".
  const epsilon = Number(raw.epsilon);
  const delta = Number(raw.delta);
  if (!(epsilon >= 0) || !(delta > 0 && delta < 1)) throw new InvalidArgumentError(`${p} has no valid epsilon and delta`);
  return { epsilon, delta };
}

/** Audit a finished run folder and write its audit.json (atomically). InvalidArgumentError when it has no audit canaries. */
export async function auditRunFolder(dir: string, o: { confidence?: number; backend?: BackendName } = {}): Promise<RunAudit> {
  const manifest = loadRunManifest(dir);
  if (!manifest.audit) throw new InvalidArgumentError(`${dir} was trained without audit canaries; train it with --audit-canaries M to audit it`);
  const claimed = claimedPrivacy(dir);
  await initBackend(o.backend);
  const run = loadRun(dir);
  try {
    const result = await auditModel(run.model, run.tokenizer, manifest.audit, {
      confidence: o.confidence ?? DEFAULT_AUDIT_CONFIDENCE,
      delta: claimed.delta,
      claimedEpsilon: claimed.epsilon,
    });
    writeRunAudit(dir, result);
    return result;
  } finally {
    run.model.dispose();
  }
}
