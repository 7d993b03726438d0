import type { StudyPoint } from '../study/types.js';

/**
 * Everything one training run needs: the study's point settings (corpus, tokenizer, model,
 * training, canaries, mitigation) plus options only `dp-canary train` exposes.
 * A study point is a RunConfig with an id; `dp-canary train` fills one from its flags.
 */
export interface RunConfig extends Omit<StudyPoint, 'id'> {
  /** DP noise multiplier sigma (noise std / clip norm); give this or targetEpsilon for 'dp'. */
  noiseMultiplier?: number;
  /**
   * Draw DP noise and batches from node:crypto (a real privacy guarantee) instead of the
   * seeded generator (reproducible experiments). Canary secrets then come from node:crypto too.
   */
  secureRandom?: boolean;
  /** Poisson sampling rate q in (0, 1]; overrides batchSize (q = batchSize / training windows). */
  samplingRate?: number;
  /**
   * A finished run folder to start from (its weights and tokenizer): fine-tuning. A private
   * starting run's ledger is composed into this run's; a non-private one is treated as trained
   * on public data (the user's claim).
   */
  initFrom?: string;
  /** Largest |R| scored exactly; larger canary spaces use estimation (default 1e7). */
  maxExactSpace?: number;
}

/** The part of a config that fixes the data and the canaries (shared by all points of a study). */
export function dataKey(c: RunConfig): string {
  return JSON.stringify([c.corpus, c.corpusMaxChars, c.validationFraction, c.dataSeed, c.tokenizer, c.lowercase, c.maxVocab,
    c.canaryFormat, c.insertions, c.seqLength, c.auditCanaries ?? 0, c.auditRepeats ?? 1, c.auditFormat ?? null]);
}
