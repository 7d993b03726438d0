import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { SECRET_KINDS, type SecretKind } from '../../data/secrets/types.js';
import { parseBackendName } from '../../dpsgd/backend.js';
import { measureNaturalSecretsOfRun, type NaturalSecretsOptions } from '../../pipeline/natural-secrets.js';
import { readNaturalSecretsFile } from '../../pipeline/natural-secrets-file.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { InvalidArgumentError } from '../../util/errors.js';
import { toPrettyJson } from '../../util/json.js';
import type { CliIO } from '../io.js';
import { formatNaturalReport, formatSecretProgress } from '../natural-format.js';
import { parseInteger, parseNumber, toJson } from '../parse.js';

interface NaturalExposureFlags {
  run: string;
  secrets: string;
  kinds?: string;
  maxExact?: string;
  contexts?: string;
  references?: string;
  exactWalk?: string;
  extractTop?: string;
  maxQueries?: string;
  backend?: string;
  json?: boolean;
  out?: string;
}

function parseKinds(raw: string): SecretKind[] {
  const kinds = raw.split(',').map((k) => k.trim());
  for (const k of kinds) {
    if (!(SECRET_KINDS as readonly string[]).includes(k)) throw new InvalidArgumentError(`--kinds: unknown kind '${k}' (use ${SECRET_KINDS.join(', ')})`);
  }
  return kinds as SecretKind[];
}

/** The measurement options of the flags; every flag is checked before any work starts. */
function optionsOf(f: NaturalExposureFlags): NaturalSecretsOptions {
  const maxExact = f.maxExact !== undefined ? parseNumber('--max-exact', f.maxExact) : undefined;
  if (maxExact !== undefined && maxExact < 0) throw new InvalidArgumentError(`--max-exact must be >= 0, got ${f.maxExact}`);
  return {
    ...(f.kinds !== undefined ? { kinds: parseKinds(f.kinds) } : {}),
    ...(maxExact !== undefined ? { maxExactSpace: maxExact } : {}),
    ...(f.contexts !== undefined ? { contexts: parseInteger('--contexts', f.contexts, { min: 1 }) } : {}),
    ...(f.references !== undefined ? { references: parseInteger('--references', f.references, { min: 1 }) } : {}),
    ...(f.exactWalk !== undefined ? { exactWalkRows: parseInteger('--exact-walk', f.exactWalk) } : {}),
    ...(f.extractTop !== undefined ? { extractTop: parseInteger('--extract-top', f.extractTop, { min: 1 }) } : {}),
    ...(f.maxQueries !== undefined ? { maxQueries: parseInteger('--max-queries', f.maxQueries) } : {}),
    ...(f.backend !== undefined ? { backend: parseBackendName(f.backend, '--backend') } : {}),
  };
}

export function register(program: Command, io: CliIO): void {
  program
    .command('natural-exposure')
    .description(
      "Test a trained run's memorization of the real secrets in its training text (found by `dp-canary secrets`): each secret " +
        "is scored in the text before its first occurrences against every filling of its own format (a phone number's " +
        '10^10 candidates), as exposure in bits (log2 |R| - log2 rank; about 1.44 bits when not memorized), exact up to ' +
        '--max-exact candidates and estimated above, and searched for with the extraction attack from its best context.',
    )
    .requiredOption('--run <dir>', 'a run folder written by dp-canary train')
    .requiredOption('--secrets <file>', 'JSON written by `dp-canary secrets --out FILE` ({"secrets": [...]}, or a bare array of secrets)')
    .option('--kinds <list>', `only these kinds, comma-separated (${SECRET_KINDS.join(', ')}; default all)`)
    .option('--max-exact <n>', 'largest candidate space |R| ranked exactly by scoring every candidate (default 1e7); larger spaces are estimated')
    .option('--contexts <k>', "contexts scored per secret: its first k occurrences; the largest exposure counts (the attacker's best context) (default 3)")
    .option('--references <n>', 'random candidates scored per context for an estimated exposure (default 2000)')
    .option(
      '--exact-walk <rows>',
      'above --max-exact: model queries a pruned walk of the candidates may spend per context to rank a secret exactly ' +
        '(a memorized secret needs few; an estimate cannot see far into the tail and under-reports it); 0: estimates only (default 20000)',
    )
    .option('--extract-top <k>', 'a secret is extracted when the search ranks it among its first k candidates (default 10)')
    .option('--max-queries <n>', "model queries (next-token distributions) the extraction search may spend per secret; 0 skips it (default: the run's budget)")
    .option('--backend <name>', 'tfjs backend: tensorflow, wasm or cpu')
    .option('--json', 'print one JSON object')
    .option('--out <file>', 'also write the result as JSON to this file (atomically)')
    .action(async (f: NaturalExposureFlags) => {
      const opts = optionsOf(f);
      const out = f.out !== undefined ? resolve(f.out) : undefined;
      if (out !== undefined && existsSync(out) && statSync(out).isDirectory()) throw new InvalidArgumentError(`--out ${f.out} is a folder; give a file name`);
      const secrets = readNaturalSecretsFile(resolve(f.secrets));
      const report = await measureNaturalSecretsOfRun(resolve(f.run), secrets, {
        ...opts,
        onSecret: (r, done, total) => io.err(formatSecretProgress(r, done, total)),
      });
      if (out !== undefined) writeFileAtomic(out, toPrettyJson(report));
      io.out(f.json ? toJson(report) + '\n' : formatNaturalReport(report));
    });
}
