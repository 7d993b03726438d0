import type { Command } from 'commander';
import { resolve } from 'node:path';
import { parseBackendName } from '../../dpsgd/backend.js';
import { resolveStudyConfig } from '../../study/grid.js';
import type { RunConfig } from '../../pipeline/run-config.js';
import { trainRun } from '../../pipeline/train-run.js';
import { measureRun, formatMeasurement } from '../../pipeline/measure.js';
import { UserError } from '../../util/errors.js';
import type { CliIO } from '../io.js';
import { parseInRange, parseInteger, parseNumberList, toJson } from '../parse.js';
import { ProgressLine, bar } from '../progress.js';

interface TrainFlags {
  out?: string;
  corpus: string;
  maxChars?: string;
  tokenizer: string;
  canaryFormat?: string;
  insertions?: string;
  noiseMultiplier?: string;
  targetEpsilon?: string;
  clip?: string;
  samplingRate?: string;
  batchSize?: string;
  epochs?: string;
  delta?: string;
  optimizer?: string;
  learningRate?: string;
  dropout?: string;
  weightDecay?: string;
  embeddingDim?: string;
  hiddenSize?: string;
  layers?: string;
  cell: string;
  seqLength?: string;
  seed?: string;
  resume?: boolean;
  backend?: string;
  exposure: boolean;
  auditCanaries?: string;
  auditRepeats?: string;
  auditFormat?: string;
  json?: boolean;
}

/** Build a RunConfig from flags; defaults come from the study's 'default' preset. */
export function runConfigFromFlags(f: TrainFlags): RunConfig {
  const d = resolveStudyConfig('default').shared;
  if (f.noiseMultiplier !== undefined && f.targetEpsilon !== undefined) {
    throw new UserError('give --noise-multiplier or --target-epsilon, not both');
  }
  if (f.samplingRate !== undefined && f.batchSize !== undefined) throw new UserError('give --sampling-rate or --batch-size, not both');
  const isPrivate = f.noiseMultiplier !== undefined || f.targetEpsilon !== undefined;
  if (!isPrivate && f.clip !== undefined) throw new UserError('--clip applies to private training: add --noise-multiplier or --target-epsilon');
  if (f.tokenizer !== 'char' && f.tokenizer !== 'word') throw new UserError(`--tokenizer must be char or word, got '${f.tokenizer}'`);
  if (f.cell !== 'lstm' && f.cell !== 'gru') throw new UserError(`--cell must be lstm or gru, got '${f.cell}'`);
  const optimizer = f.optimizer ?? d.optimizer;
  if (!['sgd', 'momentum', 'adam', 'rmsprop'].includes(optimizer)) {
    throw new UserError(`--optimizer must be one of sgd, momentum, adam, rmsprop; got '${optimizer}'`);
  }
  const dropout = f.dropout !== undefined ? parseInRange('--dropout', f.dropout, 0, 1, { hiOpen: true }) : 0;
  const weightDecay = f.weightDecay !== undefined ? parseInRange('--weight-decay', f.weightDecay, 0, Infinity) : 0;
  const insertions = f.insertions !== undefined ? parseNumberList('--insertions', f.insertions) : d.insertions;
  if (insertions.some((r) => !Number.isSafeInteger(r) || r < 1)) throw new UserError('--insertions must list positive integers');
  const config: RunConfig = {
    ...d,
    corpus: f.corpus,
    corpusMaxChars: f.maxChars !== undefined ? parseInteger('--max-chars', f.maxChars, { min: 1 }) : d.corpusMaxChars,
    tokenizer: f.tokenizer,
    canaryFormat: f.canaryFormat ?? d.canaryFormat,
    insertions,
    mitigation: isPrivate ? 'dp' : dropout > 0 ? 'dropout' : weightDecay > 0 ? 'weight-decay' : 'none',
    dropout,
    weightDecay,
    clip: f.clip !== undefined ? parseInRange('--clip', f.clip, 0, Infinity, { loOpen: true }) : d.clip,
    batchSize: f.batchSize !== undefined ? parseInteger('--batch-size', f.batchSize, { min: 1 }) : d.batchSize,
    epochs: f.epochs !== undefined ? parseInRange('--epochs', f.epochs, 0, Infinity, { loOpen: true }) : d.epochs,
    delta: f.delta !== undefined ? parseInRange('--delta', f.delta, 0, 1, { loOpen: true, hiOpen: true }) : d.delta,
    optimizer: optimizer as RunConfig['optimizer'],
    learningRate: f.learningRate !== undefined ? parseInRange('--learning-rate', f.learningRate, 0, Infinity, { loOpen: true }) : d.learningRate,
    embeddingDim: f.embeddingDim !== undefined ? parseInteger('--embedding-dim', f.embeddingDim, { min: 1 }) : d.embeddingDim,
    hiddenSize: f.hiddenSize !== undefined ? parseInteger('--hidden-size', f.hiddenSize, { min: 1 }) : d.hiddenSize,
    layers: f.layers !== undefined ? parseInteger('--layers', f.layers, { min: 1 }) : d.layers,
    cell: f.cell,
    seqLength: f.seqLength !== undefined ? parseInteger('--seq-length', f.seqLength, { min: 1 }) : d.seqLength,
    seed: f.seed !== undefined ? parseInteger('--seed', f.seed) : 0,
    secureRandom: f.seed === undefined,
    exposureEachEpoch: true,
  };
  if (f.samplingRate !== undefined) config.samplingRate = parseInRange('--sampling-rate', f.samplingRate, 0, 1, { loOpen: true });
  if (f.noiseMultiplier !== undefined) config.noiseMultiplier = parseInRange('--noise-multiplier', f.noiseMultiplier, 0, Infinity, { loOpen: true });
  if (f.targetEpsilon !== undefined) config.targetEpsilon = parseInRange('--target-epsilon', f.targetEpsilon, 0, Infinity, { loOpen: true });
  if (f.auditCanaries !== undefined) config.auditCanaries = parseInteger('--audit-canaries', f.auditCanaries, { min: 1 });
  if ((f.auditRepeats !== undefined || f.auditFormat !== undefined) && config.auditCanaries === undefined) {
    throw new UserError('--audit-repeats and --audit-format need --audit-canaries M');
  }
  if (f.auditRepeats !== undefined) config.auditRepeats = parseInteger('--audit-repeats', f.auditRepeats, { min: 1 });
  if (f.auditFormat !== undefined) config.auditFormat = f.auditFormat;
  return config;
}

export function register(program: Command, io: CliIO): void {
  program
    .command('train')
    .description(
      'Train one language model on a corpus holding inserted canaries, with DP-SGD (give --noise-multiplier or ' +
        '--target-epsilon) or without, then measure each canary\'s exposure. The output folder holds the model, ' +
        'the privacy ledger, the canary manifest and metrics (JSON).',
    )
    .requiredOption('--out <dir>', 'output folder of the run')
    .option('--corpus <path>', "'brown' (the embedded Brown Corpus) or a .txt file or folder of .txt files", 'brown')
    .option('--max-chars <n>', 'characters of corpus text to use')
    .option('--tokenizer <kind>', 'char or word', 'char')
    .option('--canary-format <format>', "canary format, e.g. 'the random number is {digits:6}' ({digits:N}, {lower:N}, {set:CHARS:N})")
    .option('--insertions <list>', 'one canary per count, each inserted that many times, e.g. 1,4,16')
    .option('--noise-multiplier <sigma>', 'DP-SGD noise std divided by the clip norm (enables DP)')
    .option('--target-epsilon <eps>', 'DP-SGD: calibrate sigma so the run spends this epsilon (nats) at --delta (enables DP)')
    .option('--clip <C>', 'per-example L2 clip norm of DP-SGD (default 1)')
    .option('--sampling-rate <q>', 'Poisson sampling rate per step, in (0, 1]')
    .option('--batch-size <B>', 'expected batch size (q = B / training windows)')
    .option('--epochs <E>', 'passes over the training data (steps = ceil(E / q))')
    .option('--delta <delta>', 'delta of (epsilon, delta)-DP, should be below 1 / training windows')
    .option('--optimizer <name>', 'sgd, momentum, adam or rmsprop')
    .option('--learning-rate <lr>', 'optimizer learning rate')
    .option('--dropout <rate>', 'dropout rate in [0, 1)')
    .option('--weight-decay <lambda>', 'L2 weight decay coefficient')
    .option('--embedding-dim <n>', 'embedding size')
    .option('--hidden-size <n>', 'recurrent layer size')
    .option('--layers <n>', 'stacked recurrent layers')
    .option('--cell <cell>', 'lstm or gru', 'lstm')
    .option('--seq-length <n>', 'tokens per training window (one window = the DP privacy unit)')
    .option('--seed <n>', 'reproducible run from a seed (NOT a real privacy guarantee); default: node:crypto randomness')
    .option('--resume', 'continue the run in --out from its checkpoint')
    .option('--backend <name>', 'tfjs backend: tensorflow, wasm or cpu (default: fastest available)')
    .option('--audit-canaries <m>', 'add m audit canaries, each in the training data with probability 1/2, for `dp-canary audit`')
    .option('--audit-repeats <k>', 'training windows per included audit canary (default 1; the audit converts by group privacy)')
    .option('--audit-format <format>', "format of the audit canaries (default 'audit {digits:20}'; must differ from --canary-format)")
    .option('--no-exposure', 'skip measuring exposure and extraction after training')
    .option('--json', 'print the final metrics as one JSON object')
    .action(async (flags: TrainFlags) => {
      const config = runConfigFromFlags(flags);
      const backend = flags.backend !== undefined ? parseBackendName(flags.backend, '--backend') : undefined;
      const dir = resolve(flags.out!);
      const progress = new ProgressLine(io);
      const { metrics } = await trainRun(config, dir, {
        ...(backend ? { backend } : {}),
        resume: flags.resume ?? false,
        log: (m) => {
          progress.done();
          io.err(`dp-canary: ${m}\n`);
        },
        onStep: (r) =>
          progress.update(
            `${bar(r.step / r.totalSteps)} step ${r.step}/${r.totalSteps}  loss ${Number.isNaN(r.loss) ? '-' : r.loss.toFixed(3)}  ` +
              `epsilon ${Number.isFinite(r.epsilon) ? r.epsilon.toFixed(3) : 'inf'}  ${r.examplesPerSecond.toFixed(0)} ex/s`,
          ),
        onEpoch: (e) => {
          progress.done();
          const exp = Object.entries(e.exposure).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ');
          io.err(`epoch ${e.epoch}: validation loss ${e.validationLoss.toFixed(3)} nats/token${exp ? `; estimated exposure (bits): ${exp}` : ''}\n`);
        },
      });
      progress.done();
      const measurement = flags.exposure ? await measureRun(dir, { log: (m) => io.err(`${m}\n`) }) : null;
      if (flags.json) {
        io.out(toJson({ run: dir, ...metrics, exposure: measurement }) + '\n');
        return;
      }
      io.out(`run: ${dir} (backend ${metrics.backend}, ${metrics.randomSource} randomness)\n`);
      io.out(
        metrics.private
          ? `privacy: epsilon = ${metrics.epsilon.toFixed(4)} (nats) at delta = ${metrics.delta} after ${metrics.steps} steps ` +
              `(sigma ${metrics.noiseMultiplier.toFixed(4)}, q ${metrics.samplingRate.toPrecision(4)}, clip ${metrics.clipNorm}; RDP accountant, Poisson sampling)\n`
          : `privacy: none (trained without DP: epsilon = infinity) after ${metrics.steps} steps\n`,
      );
      io.out(`utility: validation loss ${metrics.validationLoss.toFixed(4)} nats/token, perplexity ${metrics.validationPerplexity.toFixed(3)}\n`);
      if (measurement) io.out(formatMeasurement(measurement));
      if (metrics.randomSource === 'seeded' && metrics.private) {
        io.out('note: seeded randomness makes the run reproducible but the noise guessable; omit --seed for a real guarantee.\n');
      }
    });
}
