import { parseFormat, log2SpaceSize } from '../canary/format.js';
import { canaryTokens } from '../canary/tokens.js';
import { closeSecretModel, openSecretModel } from '../canary/secret-model.js';
import { extractSecrets } from '../canary/extract.js';
import { newlineId } from '../data/tokenizer-json.js';
import { initBackend, type BackendName } from '../dpsgd/backend.js';
import { languageModelScorer } from '../dpsgd/scorer.js';
import { loadRun } from './run-folder.js';

/** Result of the extraction attack on a run. */
export interface RunExtraction {
  format: string;
  log2R: number;
  /** Model queries used (rows advanced). */
  queries: number;
  stopped: string;
  /** Complete secrets in the order found (nondecreasing log-perplexity, bits). */
  candidates: { secret: string; logPerplexityBits: number; queries: number; canary?: string }[];
  /** Each canary: its position among the candidates (1-based) when found. */
  canaries: { name: string; insertions: number; rank?: number; queries?: number }[];
}

/** Run the best-first extraction search on a finished run folder. */
export async function extractFromRun(dir: string, opts: { maxQueries: number; top: number; backend?: BackendName }): Promise<RunExtraction> {
  await initBackend(opts.backend);
  const run = loadRun(dir);
  try {
    const format = parseFormat(run.manifest.format);
    const tokens = canaryTokens(format, run.tokenizer);
    const sm = await openSecretModel(
      languageModelScorer(run.model),
      [newlineId(run.tokenizer), ...tokens.prefixIds],
      tokens.symbolIds,
      tokens.length,
    );
    try {
      const res = await extractSecrets(sm, format, { maxQueries: opts.maxQueries, maxCandidates: opts.top });
      const bySecret = new Map(run.manifest.canaries.map((c) => [c.secret, c]));
      const candidates = res.candidates.map((c) => {
        const canary = bySecret.get(c.secret);
        return { secret: c.secret, logPerplexityBits: c.logPerplexityBits, queries: c.queries, ...(canary ? { canary: canary.name } : {}) };
      });
      const canaries = run.manifest.canaries.map((c) => {
        const i = candidates.findIndex((x) => x.secret === c.secret);
        return { name: c.name, insertions: c.insertions, ...(i >= 0 ? { rank: i + 1, queries: candidates[i]!.queries } : {}) };
      });
      return { format: run.manifest.format, log2R: log2SpaceSize(format), queries: res.queries, stopped: res.stopped, candidates, canaries };
    } finally {
      closeSecretModel(sm);
    }
  } finally {
    run.model.dispose();
  }
}
