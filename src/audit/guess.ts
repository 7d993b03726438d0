import { auditPValue, epsilonLowerBound } from './bound.js';
import { InvalidArgumentError } from '../util/errors.js';

/**
 * Guessing membership from scores, and the audit's result. Scores are computed from the
 * canaries alone (log-perplexity under the trained model; lower = more likely included);
 * membership is looked at only afterwards, to count right guesses.
 */

/** Guesses for one canary: +1 "included", -1 "excluded", 0 abstain. */
export type Guess = 1 | -1 | 0;

/**
 * Guess "included" for the `kPlus` lowest scores and "excluded" for the `kMinus` highest, and
 * abstain on the rest (kPlus + kMinus <= scores.length). Ties are broken by index, which is
 * independent of membership.
 */
export function guessFromScores(scores: ArrayLike<number>, kPlus: number, kMinus: number): Guess[] {
  const n = scores.length;
  if (!(Number.isSafeInteger(kPlus) && Number.isSafeInteger(kMinus) && kPlus >= 0 && kMinus >= 0 && kPlus + kMinus <= n)) {
    throw new InvalidArgumentError(`need integers kPlus, kMinus >= 0 with kPlus + kMinus <= ${n}, got ${kPlus}, ${kMinus}`);
  }
  for (let i = 0; i < n; i++) if (Number.isNaN(scores[i]!)) throw new InvalidArgumentError(`score ${i} is NaN`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]! || a - b);
  const guesses: Guess[] = new Array<Guess>(n).fill(0);
  for (let j = 0; j < kPlus; j++) guesses[order[j]!] = 1;
  for (let j = 0; j < kMinus; j++) guesses[order[n - 1 - j]!] = -1;
  return guesses;
}

/** Number of guesses (non-abstentions) and how many match the membership. */
export function countCorrect(guesses: readonly Guess[], included: readonly boolean[]): { guesses: number; correct: number } {
  if (guesses.length !== included.length) throw new InvalidArgumentError('guesses and membership differ in length');
  let made = 0;
  let correct = 0;
  guesses.forEach((g, i) => {
    if (g === 0) return;
    made++;
    if ((g === 1) === included[i]) correct++;
  });
  return { guesses: made, correct };
}

/**
 * The declared set of guess totals tried for m canaries: 2%, 5%, 10%, 20%, 50% and 100% of m
 * (rounded, at least 1, no repeats), split evenly between "included" and "excluded". Fixed
 * before any score is seen, so a union bound over it (beta / set size each) keeps the audit valid.
 */
export function declaredGuessTotals(m: number): number[] {
  const totals = new Set<number>();
  for (const f of [0.02, 0.05, 0.1, 0.2, 0.5, 1]) totals.add(Math.min(m, Math.max(1, Math.round(f * m))));
  return [...totals].sort((a, b) => a - b);
}

/** One audit's outcome (JSON-serialisable; epsilons in nats). */
export interface AuditOutcome {
  /** Empirical lower bound on the per-window epsilon at `delta`, holding with probability >= confidence. */
  epsilonLowerBound: number;
  confidence: number;
  delta: number;
  /** Audit canaries m. */
  auditCanaries: number;
  /** Training windows per included canary (group size; the bound is converted to one window). */
  unitsPerCanary: number;
  /** Guesses made at the best declared total, split into "included" and "excluded" guesses. */
  guesses: number;
  guessesIncluded: number;
  guessesExcluded: number;
  correctGuesses: number;
  /** Declared guess totals tried; each was tested at beta / declaredGuessTotals.length. */
  declaredGuessTotals: number[];
}

/**
 * Run the audit on scores (lower = more likely included) and the hidden membership: for each
 * declared total g, guess g/2 (rounded up) lowest as included and the rest of g highest as
 * excluded, count right guesses, and turn them into a lower bound at beta / |totals|; report the
 * largest (ties: the smallest p-value at eps = 0). `totals` defaults to declaredGuessTotals(m); pass one total to test a single choice.
 */
export function auditScores(
  scores: ArrayLike<number>,
  included: readonly boolean[],
  o: { confidence: number; delta: number; unitsPerCanary?: number; totals?: readonly number[] },
): AuditOutcome {
  const m = scores.length;
  if (included.length !== m) throw new InvalidArgumentError('scores and membership differ in length');
  if (m === 0) throw new InvalidArgumentError('an audit needs at least one canary');
  if (!(o.confidence > 0 && o.confidence < 1)) throw new InvalidArgumentError(`confidence must be in (0, 1), got ${o.confidence}`);
  const totals = o.totals ?? declaredGuessTotals(m);
  if (totals.length === 0 || totals.some((g) => !Number.isSafeInteger(g) || g < 1 || g > m)) {
    throw new InvalidArgumentError(`guess totals must be integers in [1, ${m}]`);
  }
  const beta = (1 - o.confidence) / totals.length;
  const units = o.unitsPerCanary ?? 1;
  let best: AuditOutcome | null = null;
  let bestP = Infinity;
  for (const g of totals) {
    const kPlus = Math.ceil(g / 2);
    const kMinus = g - kPlus;
    const counts = countCorrect(guessFromScores(scores, kPlus, kMinus), included);
    const eps = epsilonLowerBound({ canaries: m, ...counts }, { beta, delta: o.delta, unitsPerCanary: units });
    // Equal bounds (often all 0) are told apart by the evidence against eps = 0.
    const p0 = auditPValue({ canaries: m, ...counts }, 0, units === 1 ? o.delta : Math.min(1, units * o.delta));
    if (best === null || eps > best.epsilonLowerBound || (eps === best.epsilonLowerBound && p0 < bestP)) {
      bestP = p0;
      best = {
        epsilonLowerBound: eps,
        confidence: o.confidence,
        delta: o.delta,
        auditCanaries: m,
        unitsPerCanary: units,
        guesses: counts.guesses,
        guessesIncluded: kPlus,
        guessesExcluded: kMinus,
        correctGuesses: counts.correct,
        declaredGuessTotals: [...totals],
      };
    }
  }
  return best!;
}
