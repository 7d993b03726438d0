import { initBackend, type BackendName } from '../dpsgd/backend.js';
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
export async function measureRun(dir: string, opts: MeasureOptions & { backend?: BackendName } = {}): Promise<Measurement> {
  await initBackend(opts.backend);
  const run = loadRun(dir);
  try {
    const c = run.record.config;
    const m = await measureCanaries(run.model, run.tokenizer, run.manifest, {
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
