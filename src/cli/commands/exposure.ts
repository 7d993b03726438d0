import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { CliIO } from '../io.js';
import { toJson } from '../parse.js';
import { UserError } from '../../util/errors.js';
import { type ExposureEstimates, estimateExposures, MIN_REFERENCES } from '../../canary/estimate.js';
import { parseScoresJson } from '../../canary/scores-file.js';

/** Flags of `dp-canary exposure` (commander keeps them as strings/booleans). */
export interface ExposureFlags {
  scores?: string;
  canary?: string;
  json?: boolean;
}

export function register(program: Command, io: CliIO): void {
  program
    .command('exposure')
    .description(
      'Exposure in bits of canaries (Secret Sharer) from their log-perplexities: interpolation ' +
        '(log2 N - log2 rank among N random references) and extrapolation (-log2 CDF of a skew-normal ' +
        'fitted to the references). A canary the model never saw has about 1.44 bits.',
    )
    .option(
      '--scores <file>',
      'JSON {"canaries": {"<name>": number[]}, "reference": number[]}: log-perplexities in bits of each canary ' +
        `and of at least ${MIN_REFERENCES} uniformly random secrets of the same format, from any model`,
    )
    .option('--canary <name>', 'report only this canary')
    .option('--json', 'print one JSON object')
    .action(async (flags: ExposureFlags) => {
      if (flags.scores !== undefined) {
        exposureFromScoresCommand(flags.scores, flags, io);
        return;
      }
      throw new UserError('exposure needs --scores FILE');
    });
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`cannot read scores file ${path}${code ? ` (${code})` : ''}`);
  }
}

/** `exposure --scores FILE`: estimates from exported log-perplexities. */
export function exposureFromScoresCommand(path: string, flags: ExposureFlags, io: CliIO): ExposureEstimates {
  const scores = parseScoresJson(readText(path), path);
  let canaries = scores.canaries;
  if (flags.canary !== undefined) {
    const one = canaries[flags.canary];
    if (one === undefined) {
      throw new UserError(`no canary named '${flags.canary}' in ${path} (it has: ${Object.keys(canaries).join(', ')})`);
    }
    canaries = { [flags.canary]: one };
  }
  const est = estimateExposures(canaries, scores.reference);
  if (flags.json) io.out(toJson(est) + '\n');
  else io.out(formatEstimates(est, canaries));
  return est;
}

function formatEstimates(est: ExposureEstimates, canaries: Record<string, number[]>): string {
  const { count, skewNormal: s } = est.reference;
  const lines = [
    `reference: ${count} random secrets; skew-normal fit of their log-perplexities: ` +
      `shape ${s.shape.toFixed(4)}, location ${s.location.toFixed(4)} bits, scale ${s.scale.toFixed(4)} bits`,
    `exposure in bits (interpolation is at most log2 ${count} = ${Math.log2(count).toFixed(2)}; an unseen canary has about 1.44)`,
    '  canary                 log-perplexity  interpolation  extrapolation',
  ];
  for (const [name, e] of Object.entries(est.exposures)) {
    canaries[name]!.forEach((bits, i) => {
      lines.push(
        `  ${name.padEnd(22)} ${bits.toFixed(3).padStart(14)}  ${e.interpolation[i]!.toFixed(3).padStart(13)}  ${e.extrapolation[i]!.toFixed(3).padStart(13)}`,
      );
    });
  }
  return lines.join('\n') + '\n';
}
