import { parseFormat } from '../canary/format.js';
import { canaryTokens } from '../canary/tokens.js';
import { InvalidArgumentError } from '../util/errors.js';
import type { RunConfig } from './run-config.js';
import type { RunData } from './run-data.js';

/**
 * A transformer reads at most maxLength = seqLength positions, and a canary is scored after a
 * line break and its prefix: refuse, before training, a run whose canaries (or audit canaries)
 * do not fit, naming the lengths. Recurrent runs have no such limit.
 */
export function checkCanariesFitTransformer(config: RunConfig, data: RunData): void {
  if (config.cell !== 'transformer') return;
  const formats = [data.manifest.format, ...(data.manifest.audit ? [data.manifest.audit.format] : [])];
  for (const text of formats) {
    const t = canaryTokens(parseFormat(text), data.tokenizer);
    // The last secret token is predicted from the line break, the prefix and the other secret tokens.
    const needed = 1 + t.prefixIds.length + t.length - 1;
    if (needed > config.seqLength) {
      throw new InvalidArgumentError(
        `the canary format '${text}' needs ${needed} positions (a line break, its prefix and secret), more than the transformer's ${config.seqLength} (--seq-length); give --seq-length ${needed} or more, or a shorter format`,
      );
    }
  }
}
