import { enumerateLogPerplexities } from '../../canary/exact.js';
import { closeSecretModel, openSecretModel } from '../../canary/secret-model.js';
import type { LanguageModel } from '../model.js';
import { languageModelScorer } from '../scorer.js';

/**
 * enumerateLogPerplexities of `model` after `prefix` in the caller's thread, optionally only
 * the block of secrets whose first symbol is in [from, to) (no size limit: the caller checks).
 */
export async function enumerateInThread(
  model: LanguageModel,
  prefix: readonly number[],
  symbolIds: Int32Array,
  length: number,
  firstSymbols?: { from: number; to: number },
): Promise<Float64Array> {
  const sm = await openSecretModel(languageModelScorer(model), prefix, symbolIds, length);
  try {
    return await enumerateLogPerplexities(sm, { maxSpace: Infinity, ...(firstSymbols ? { firstSymbols } : {}) });
  } finally {
    closeSecretModel(sm);
  }
}
