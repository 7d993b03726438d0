import type { Command } from 'commander';
import { resolve } from 'node:path';
import { parseBackendName } from '../../dpsgd/backend.js';
import { extractFromRun } from '../../pipeline/extract-run.js';
import type { CliIO } from '../io.js';
import { parseInteger, toJson } from '../parse.js';

interface ExtractFlags {
  run: string;
  maxQueries: string;
  top: string;
  backend?: string;
  json?: boolean;
}

export function register(program: Command, io: CliIO): void {
  program
    .command('extract')
    .description(
      "The Secret Sharer's extraction attack on a trained run: best-first search over partial secrets of the run's " +
        'canary format, ordered by log-perplexity (bits). Prints the most likely secrets in order and marks the canaries.',
    )
    .requiredOption('--run <dir>', 'a run folder written by dp-canary train')
    .option('--max-queries <n>', 'model queries (one next-token distribution for one partial secret) the search may spend', '100000')
    .option('--top <k>', 'stop after this many complete candidates', '10')
    .option('--backend <name>', 'tfjs backend: tensorflow, wasm or cpu')
    .option('--json', 'print one JSON object')
    .action(async (f: ExtractFlags) => {
      const maxQueries = parseInteger('--max-queries', f.maxQueries, { min: 1 });
      const top = parseInteger('--top', f.top, { min: 1 });
      const backend = f.backend !== undefined ? parseBackendName(f.backend, '--backend') : undefined;
      const r = await extractFromRun(resolve(f.run), { maxQueries, top, ...(backend ? { backend } : {}) });
      if (f.json) {
        io.out(toJson(r) + '\n');
        return;
      }
      io.out(`format '${r.format}', |R| = 2^${r.log2R.toFixed(2)}; search stopped (${r.stopped}) after ${r.queries} model queries\n`);
      io.out('  #  secret                log-perplexity (bits)  queries  canary\n');
      r.candidates.forEach((c, i) => {
        io.out(`${String(i + 1).padStart(3)}  ${c.secret.padEnd(20)}  ${c.logPerplexityBits.toFixed(3).padStart(21)}  ${String(c.queries).padStart(7)}  ${c.canary ?? ''}\n`);
      });
      for (const c of r.canaries) {
        io.out(
          c.rank !== undefined
            ? `canary ${c.name} (inserted ${c.insertions}x) extracted at position ${c.rank} after ${c.queries} queries\n`
            : `canary ${c.name} (inserted ${c.insertions}x) not among the ${r.candidates.length} candidates found\n`,
        );
      }
    });
}
