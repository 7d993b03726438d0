/**
 * Terminal text of the commands that measure a run: the tables `train`, `exposure` and `audit`
 * print. The pipeline returns data; how it reads on a terminal is the CLI's business.
 */
import type { RunAudit } from '../pipeline/audit-run.js';
import type { Measurement } from '../pipeline/measure.js';
import type { RunMetrics } from '../pipeline/train-run.js';
import type { GroupPrivacy } from '../pipeline/units.js';

/** A human-readable table of a measurement. */
export function formatMeasurement(m: Measurement): string {
  const lines = [
    `memorization: format '${m.format}', |R| = 2^${m.log2R.toFixed(2)}; exposure in bits (${m.method}; a never-seen canary has about 1.44)`,
    '  canary      insertions  log-perplexity (bits)  exposure  extracted',
  ];
  for (const c of m.canaries) {
    const ex = c.extracted ? `yes (#${c.extractionRank}, ${c.extractionQueries} queries)` : 'no';
    lines.push(
      `  ${c.name.padEnd(10)}  ${String(c.insertions).padStart(10)}  ${c.logPerplexityBits.toFixed(2).padStart(21)}  ${c.exposure.toFixed(2).padStart(8)}  ${ex}`,
    );
  }
  if (m.extraction) {
    lines.push(
      `  extracted = among the search's ${m.extraction.topK} most likely secrets; it used ${m.extraction.queriesUsed} of ` +
        `${m.extraction.maxQueries} model queries (brute force scores all 2^${m.log2R.toFixed(2)} secrets)`,
    );
  }
  return lines.join('\n') + '\n';
}

/** A short human-readable account of an audit. */
export function formatAudit(a: RunAudit): string {
  const claimed = Number.isFinite(a.claimedEpsilon) ? a.claimedEpsilon.toFixed(4) : 'infinity (no DP)';
  const unit = a.unitsPerCanary === 1 ? 'one training window' : `one training window (each canary is ${a.unitsPerCanary} windows; group privacy converted)`;
  return [
    `audit: ${a.auditCanaries} audit canaries ('${a.auditFormat}'), each in the training data with probability 1/2`,
    `  guesses: ${a.guessesIncluded} "included" (lowest log-perplexity) + ${a.guessesExcluded} "excluded" (highest) = ${a.guesses}; ${a.correctGuesses} correct`,
    `  mean log-perplexity of the secrets: included ${a.meanLogPerplexityIncluded.toFixed(2)} bits, excluded ${a.meanLogPerplexityExcluded.toFixed(2)} bits`,
    `  epsilon lower bound = ${a.epsilonLowerBound.toFixed(4)} (nats, per ${unit}) at delta = ${a.delta}, confidence ${a.confidence}`,
    `  claimed epsilon     = ${claimed}`,
    a.epsilonLowerBound > a.claimedEpsilon
      ? '  THE LOWER BOUND EXCEEDS THE CLAIMED EPSILON: the claim is refuted (a bug, or a chance event of probability <= 1 - confidence)'
      : '  a lower bound: no (epsilon, delta) guarantee below it can hold for this training; it says nothing about how far above it the true epsilon is',
  ].join('\n') + '\n';
}

/**
 * The privacy lines of a finished run: epsilon with its unit ("per user"), its accounting, and
 * for a window-level run whose corpus has documents or users, what that means for the largest.
 */
export function formatRunPrivacy(m: RunMetrics): string {
  const unit = m.privacyUnit ?? 'window';
  if (!m.private) return `privacy: none (trained without DP: epsilon = infinity) after ${m.steps} steps\n`;
  const units = unit === 'window' ? '' : `; ${m.trainUnits} ${unit}s, at most ${m.unitWindows} windows of each per step, each ${unit}'s mean gradient clipped`;
  const lines = [
    `privacy: epsilon = ${m.epsilon.toFixed(4)} (nats) per ${unit} at delta = ${m.delta} after ${m.steps} steps ` +
      `(sigma ${m.noiseMultiplier.toFixed(4)}, q ${m.samplingRate.toPrecision(4)}, clip ${m.clipNorm}${units}; RDP accountant, Poisson sampling; ` +
      `budgeted with ${m.budgetAccountant === 'pld' ? 'PLD' : 'RDP'})`,
    `  PLD accountant: epsilon = ${m.epsilonPld.toFixed(4)} (nats) per ${unit}` + (m.epsilonPldDetail.note ? ` (${m.epsilonPldDetail.note})` : ''),
  ];
  if (m.groupPrivacy) lines.push(`  ${formatGroupPrivacy(m.groupPrivacy)}`);
  return lines.join('\n') + '\n';
}

/** One line on the group privacy of a window-level run's largest unit. */
export function formatGroupPrivacy(g: GroupPrivacy): string {
  const who = `the largest ${g.unit} ('${g.key}', ${g.windows} windows)`;
  if (g.delta === null) return `group privacy: no guarantee for a group of ${g.windows} windows, ${who}: the group's delta would be >= 1`;
  return `group privacy: epsilon ${g.epsilon.toFixed(4)} at delta ${g.delta.toPrecision(3)} for ${who}`;
}
