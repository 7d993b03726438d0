/**
 * `npm run bench`: runs every bench/*.bench.ts module side by side in one process, prints
 * its figures, and writes all of them to bench/results.json (atomically).
 * A bench module exports `name` (its key in results.json) and `run()`, which prints its own
 * human-readable lines and returns the figures as a JSON-serializable object.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeJsonAtomic } from '../src/util/atomic-write.js';

interface BenchModule {
  name: string;
  run(): Promise<Record<string, unknown>>;
}

const here = dirname(fileURLToPath(import.meta.url));
// Results go to the source bench/ folder (dist/bench -> ../../bench).
const resultsPath = join(here, '..', '..', 'bench', 'results.json');

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const files = readdirSync(here)
    .filter((f) => f.endsWith('.bench.js'))
    .sort();
  const results: Record<string, unknown> = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: (await import('node:os')).cpus().length,
  };
  for (const f of files) {
    const mod = (await import(pathToFileURL(join(here, f)).href)) as BenchModule;
    if (only.length > 0 && !only.includes(mod.name)) continue;
    console.log(`\n=== ${mod.name} (${f.replace(/\.js$/, '.ts')})`);
    results[mod.name] = await mod.run();
  }
  writeJsonAtomic(resultsPath, results);
  console.log(`\nwrote ${resultsPath}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
