import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { CliIO } from '../io.js';
import { parseInteger, parseNumber, toJson } from '../parse.js';
import { resolve } from 'node:path';
import type { Measurement } from '../../pipeline/measure.js';
import { formatMeasurement } from '../format.js';
import { InvalidArgumentError } from '../../util/errors.js';
import { type ExposureEstimates, estimateExposures, MIN_FIT_REFERENCES, MIN_REFERENCES } from '../../canary/estimate.js';
import { parseScoresJson } from '../../canary/scores-file.js';

/** Flags of `dp-canary exposure` (commander keeps them as strings/booleans). */
export interface ExposureFlags {
  scores?: string;
  run?: string;
  maxExact?: string;
  references?: string;
  maxQueries?: string;
  backend?: string;
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
        'and of uniformly random secrets of the same format (any number; extrapolation needs at least ' +
        `${MIN_FIT_REFERENCES} and is flagged unreliable below ${MIN_REFERENCES}), from any model`,
    )
    .option('--run <dir>', 'a run folder written by dp-canary train: score its canaries with its model (exact when |R| allows)')
    .option('--max-exact <n>', 'with --run: largest |R| enumerated exactly; larger spaces are estimated (default 1e7)')
    .option('--references <n>', 'with --run: random secrets scored for the estimates (default: the run\'s setting)')
    .option('--max-queries <n>', 'with --run: model queries for the extraction search (0 skips it; default: the run\'s setting)')
    .option('--backend <name>', 'with --run: tfjs backend (tensorflow, wasm or cpu)')
    .option('--canary <name>', 'report only this canary')
    .option('--json', 'print one JSON object')
    .action(async (flags: ExposureFlags) => {
      if (flags.scores !== undefined && flags.run !== undefined) throw new InvalidArgumentError('give --scores or --run, not both');
      if (flags.scores !== undefined) {
        exposureFromScoresCommand(flags.scores, flags, io);
        return;
      }
      if (flags.run !== undefined) {
        await exposureFromRunCommand(flags.run, flags, io);
        return;
      }
      throw new InvalidArgumentError('exposure needs --scores FILE or --run DIR');
    });
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InvalidArgumentError(`cannot read scores file ${path}${code ? ` (${code})` : ''}`);
  }
}

/** `exposure --run DIR`: measure a trained run's canaries with its own model; writes DIR/exposure.json. */
export async function exposureFromRunCommand(dir: string, flags: ExposureFlags, io: CliIO): Promise<Measurement> {
  // Loaded here, not at the top: they bring in tfjs, which `exposure --scores` never needs.
  const [{ parseBackendName }, { measureRun }, { loadRunManifest }] = await Promise.all([
    import('../../dpsgd/backend.js'),
    import('../../pipeline/measure-run.js'),
    import('../../pipeline/run-folder.js'),
  ]);
  const backend = flags.backend !== undefined ? parseBackendName(flags.backend, '--backend') : undefined;
  if (flags.canary !== undefined) {
    // Check the name before minutes of scoring, not after.
    const names = loadRunManifest(resolve(dir)).canaries.map((c) => c.name);
    if (!names.includes(flags.canary)) throw new InvalidArgumentError(`no canary named '${flags.canary}' in ${dir} (it has: ${names.join(', ')})`);
  }
  const m = await measureRun(resolve(dir), {
    ...(flags.maxExact !== undefined ? { maxExactSpace: parseNumber('--max-exact', flags.maxExact) } : {}),
    ...(flags.references !== undefined ? { references: parseInteger('--references', flags.references, { min: MIN_REFERENCES }) } : {}),
    ...(flags.maxQueries !== undefined ? { extractionMaxQueries: parseInteger('--max-queries', flags.maxQueries) } : {}),
    ...(backend ? { backend } : {}),
    log: (msg) => io.err(`${msg}\n`),
  });
  let shown = m;
  if (flags.canary !== undefined) {
    shown = { ...m, canaries: m.canaries.filter((c) => c.name === flags.canary) };
  }
  io.out(flags.json ? toJson(shown) + '\n' : formatMeasurement(shown));
  return m;
}

/** `exposure --scores FILE`: estimates from exported log-perplexities. */
export function exposureFromScoresCommand(path: string, flags: ExposureFlags, io: CliIO): ExposureEstimates {
  const scores = parseScoresJson(readText(path), path);
  let canaries = scores.canaries;
  if (flags.canary !== undefined) {
    const one = canaries[flags.canary];
    if (one === undefined) {
      throw new InvalidArgumentError(`no canary named '${flags.canary}' in ${path} (it has: ${Object.keys(canaries).join(', ')})`);
    }
    canaries = { [flags.canary]: one };
  }
  const est = estimateExposures(canaries, scores.reference);
  if (flags.json) io.out(toJson(est) + '\n');
  else {
    if (est.warning !== undefined) io.err(`dp-canary: warning: ${est.warning}\n`);
    io.out(formatEstimates(est, canaries));
  }
  return est;
}

function formatEstimates(est: ExposureEstimates, canaries: Record<string, number[]>): string {
  const { count, skewNormal: s } = est.reference;
  const lines = [
    s
      ? `reference: ${count} random secrets; skew-normal fit of their log-perplexities: ` +
        `shape ${s.shape.toFixed(4)}, location ${s.location.toFixed(4)} bits, scale ${s.scale.toFixed(4)} bits`
      : `reference: ${count} random secrets; no skew-normal fit (${est.warning ?? 'not computed'})`,
    `exposure in bits (interpolation is at most log2 ${count} = ${Math.log2(count).toFixed(2)}; an unseen canary has about 1.44)`,
    '  canary                 log-perplexity  interpolation  extrapolation',
  ];
  for (const [name, e] of Object.entries(est.exposures)) {
    canaries[name]!.forEach((bits, i) => {
      lines.push(
        `  ${name.padEnd(22)} ${bits.toFixed(3).padStart(14)}  ${e.interpolation[i]!.toFixed(3).padStart(13)}  ${(e.extrapolation ? e.extrapolation[i]!.toFixed(3) : '-').padStart(13)}`,
      );
    });
  }
  return lines.join('\n') + '\n';
}
