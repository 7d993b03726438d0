import { initBackend, type BackendName } from '../dpsgd/backend.js';
import type { ParallelSession } from '../dpsgd/parallel/session.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { toPrettyJson } from '../util/json.js';
import { measureCanaries, RUN_MAX_EXACT_SPACE, type MeasureOptions, type Measurement } from './measure.js';
import { loadRun, runPath } from './run-folder.js';

/** Write a run's measurement to its folder as exposure.json (atomically). */
export function writeMeasurement(dir: string, m: Measurement): void {
  writeFileAtomic(runPath(dir, 'exposure'), toPrettyJson(m));
}

/**
 * Measure a finished run folder (options not given come from its run.json) and write its
 * exposure.json.
 */
export async function measureRun(dir: string, opts: MeasureOptions & { backend?: BackendName; parallel?: ParallelSession } = {}): Promise<Measurement> {
  await initBackend(opts.backend);
  const run = loadRun(dir);
  try {
    const c = run.record.config;
    // Exact exposure on the run's worker threads when it has them.
    const enumerate = opts.enumerate ?? opts.parallel?.enumeratorFor(run.model.config);
    const m = await measureCanaries(run.model, run.tokenizer, run.manifest, {
      ...(enumerate ? { enumerate } : {}),
      maxExactSpace: opts.maxExactSpace ?? c.maxExactSpace ?? RUN_MAX_EXACT_SPACE,
      references: opts.references ?? c.exposureReferences,
      extractionMaxQueries: opts.extractionMaxQueries ?? c.extractionMaxQueries,
      ...(opts.random ? { random: opts.random } : {}),
      ...(opts.log ? { log: opts.log } : {}),
    });
    writeMeasurement(dir, m);
    return m;
  } finally {
    run.model.dispose();
  }
}
