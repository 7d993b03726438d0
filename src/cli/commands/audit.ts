import type { Command } from 'commander';
import { resolve } from 'node:path';
import { parseBackendName } from '../../dpsgd/backend.js';
import { auditRunFolder, DEFAULT_AUDIT_CONFIDENCE } from '../../pipeline/audit-run.js';
import { formatAudit } from '../format.js';
import type { CliIO } from '../io.js';
import { parseInRange, toJson } from '../parse.js';

interface AuditFlags {
  run: string;
  confidence?: string;
  backend?: string;
  json?: boolean;
}

export function register(program: Command, io: CliIO): void {
  program
    .command('audit')
    .description(
      'One-run privacy audit (Steinke, Nasr, Jagielski 2023) of a run trained with --audit-canaries: score each audit ' +
        'canary by log-perplexity, guess "included" for the lowest and "excluded" for the highest, and turn the right ' +
        'guesses into an empirical LOWER bound on epsilon (nats, per training window) at the run\'s delta that holds with ' +
        'the given confidence. Writes DIR/audit.json.',
    )
    .requiredOption('--run <dir>', 'a run folder written by dp-canary train --audit-canaries M')
    .option('--confidence <c>', `confidence 1 - beta of the lower bound, in (0, 1) (default ${DEFAULT_AUDIT_CONFIDENCE})`)
    .option('--backend <name>', 'tfjs backend: tensorflow, wasm or cpu (default: fastest available)')
    .option('--json', 'print one JSON object (claimedEpsilon of a non-private run is the string "Infinity")')
    .action(async (flags: AuditFlags) => {
      const confidence = flags.confidence !== undefined ? parseInRange('--confidence', flags.confidence, 0, 1, { loOpen: true, hiOpen: true }) : DEFAULT_AUDIT_CONFIDENCE;
      const backend = flags.backend !== undefined ? parseBackendName(flags.backend, '--backend') : undefined;
      const a = await auditRunFolder(resolve(flags.run), { confidence, ...(backend ? { backend } : {}) });
      io.out(flags.json ? toJson(a) + '\n' : formatAudit(a));
    });
}
