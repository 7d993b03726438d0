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

/**
 * Put a module's figures at its dotted name as a JSON path ('dpsgd.layers' -> results.dpsgd.layers),
 * merging with what another module already wrote there, so `dpsgd.layers.mlp256.ratio` reads as named.
 */
function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (!isObject(node[key])) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  const last = path[path.length - 1]!;
  node[last] = isObject(node[last]) && isObject(value) ? { ...node[last], ...value } : value;
}

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
    setPath(results, mod.name.split('.'), await mod.run());
  }
  writeJsonAtomic(resultsPath, results);
  console.log(`\nwrote ${resultsPath}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
