import type { Command } from 'commander';
import { resolve } from 'node:path';
import { readRunRecord } from '../../pipeline/run-folder.js';
import { ACCOUNTANT_NAMES, isAccountantName } from '../../accountant/accountant.js';
import { NON_FINITE_POLICIES, type NonFinitePolicy } from '../../dpsgd/non-finite.js';
import { parseBackendName, type BackendName } from '../../dpsgd/backend.js';
import { OPTIMIZER_NAMES, isOptimizerName } from '../../dpsgd/optimizer-names.js';
import { ParallelSession } from '../../dpsgd/parallel/session.js';
import { resolveStudyConfig } from '../../study/grid.js';
import type { RunConfig } from '../../pipeline/run-config.js';
import { parseCell, resolveModelShape } from '../../pipeline/model-shape.js';
import { trainRun } from '../../pipeline/train-run.js';
import { measureRun } from '../../pipeline/measure-run.js';
import { InvalidArgumentError } from '../../util/errors.js';
import { DEFAULT_MAX_VOCAB } from '../../data/tokenizer.js';
import { formatMeasurement, formatRunPrivacy } from '../format.js';
import { unitSettingsFromFlags } from '../unit-flags.js';
import { prepareFreshRunFolder } from '../out-folder.js';
import type { CliIO } from '../io.js';
import { parseInRange, parseInteger, parseNumberList, toJson } from '../parse.js';
import { ProgressLine, bar } from '../progress.js';

interface TrainFlags {
  out?: string;
  corpus?: string;
  maxChars?: string;
  tokenizer?: string;
  maxVocab?: string;
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
  cell?: string;
  heads?: string;
  ffnSize?: string;
  seqLength?: string;
  seed?: string;
  initFrom?: string;
  physicalBatchSize?: string;
  accountant?: string;
  nonFinite?: string;
  resume?: boolean;
  overwrite?: boolean;
  backend?: string;
  threads?: string;
  exposure: boolean;
  auditCanaries?: string;
  auditRepeats?: string;
  auditFormat?: string;
  privacyUnit?: string;
  dataUnit?: string;
  unitWindows?: string;
  userMap?: string;
  userPattern?: string;
  json?: boolean;
}

/**
 * The run settings the flags that were given set, parsed and checked one by one (nothing from
 * defaults). Keys are RunConfig fields; `--seed` also sets secureRandom to false.
 */
export function settingsFromFlags(f: TrainFlags): Partial<RunConfig> {
  const s: Partial<RunConfig> = {};
  if (f.corpus !== undefined) s.corpus = f.corpus;
  if (f.maxChars !== undefined) s.corpusMaxChars = parseInteger('--max-chars', f.maxChars, { min: 1 });
  if (f.tokenizer !== undefined) {
    if (f.tokenizer !== 'char' && f.tokenizer !== 'word') throw new InvalidArgumentError(`--tokenizer must be char or word, got '${f.tokenizer}'`);
    s.tokenizer = f.tokenizer;
  }
  if (f.maxVocab !== undefined) s.maxVocab = parseInteger('--max-vocab', f.maxVocab, { min: 2 });
  if (f.canaryFormat !== undefined) s.canaryFormat = f.canaryFormat;
  if (f.insertions !== undefined) {
    const insertions = parseNumberList('--insertions', f.insertions);
    if (insertions.some((r) => !Number.isSafeInteger(r) || r < 1)) throw new InvalidArgumentError('--insertions must list positive integers');
    s.insertions = insertions;
  }
  if (f.noiseMultiplier !== undefined) s.noiseMultiplier = parseInRange('--noise-multiplier', f.noiseMultiplier, 0, Infinity, { loOpen: true });
  if (f.targetEpsilon !== undefined) s.targetEpsilon = parseInRange('--target-epsilon', f.targetEpsilon, 0, Infinity, { loOpen: true });
  if (f.clip !== undefined) s.clip = parseInRange('--clip', f.clip, 0, Infinity, { loOpen: true });
  if (f.samplingRate !== undefined) s.samplingRate = parseInRange('--sampling-rate', f.samplingRate, 0, 1, { loOpen: true });
  if (f.batchSize !== undefined) s.batchSize = parseInteger('--batch-size', f.batchSize, { min: 1 });
  if (f.epochs !== undefined) s.epochs = parseInRange('--epochs', f.epochs, 0, Infinity, { loOpen: true });
  if (f.delta !== undefined) s.delta = parseInRange('--delta', f.delta, 0, 1, { loOpen: true, hiOpen: true });
  if (f.optimizer !== undefined) {
    if (!isOptimizerName(f.optimizer)) {
      throw new InvalidArgumentError(`--optimizer must be one of ${OPTIMIZER_NAMES.join(', ')}; got '${f.optimizer}'`);
    }
    s.optimizer = f.optimizer;
  }
  if (f.learningRate !== undefined) s.learningRate = parseInRange('--learning-rate', f.learningRate, 0, Infinity, { loOpen: true });
  if (f.dropout !== undefined) s.dropout = parseInRange('--dropout', f.dropout, 0, 1, { hiOpen: true });
  if (f.weightDecay !== undefined) s.weightDecay = parseInRange('--weight-decay', f.weightDecay, 0, Infinity);
  if (f.embeddingDim !== undefined) s.embeddingDim = parseInteger('--embedding-dim', f.embeddingDim, { min: 1 });
  if (f.hiddenSize !== undefined) s.hiddenSize = parseInteger('--hidden-size', f.hiddenSize, { min: 1 });
  if (f.layers !== undefined) s.layers = parseInteger('--layers', f.layers, { min: 1 });
  if (f.cell !== undefined) s.cell = parseCell(f.cell);
  if (f.heads !== undefined) s.heads = parseInteger('--heads', f.heads, { min: 1 });
  if (f.ffnSize !== undefined) s.ffnSize = parseInteger('--ffn-size', f.ffnSize, { min: 1 });
  if (f.seqLength !== undefined) s.seqLength = parseInteger('--seq-length', f.seqLength, { min: 1 });
  if (f.seed !== undefined) {
    s.seed = parseInteger('--seed', f.seed);
    s.secureRandom = false;
  }
  if (f.auditCanaries !== undefined) s.auditCanaries = parseInteger('--audit-canaries', f.auditCanaries, { min: 1 });
  if ((f.auditRepeats !== undefined || f.auditFormat !== undefined) && s.auditCanaries === undefined) {
    throw new InvalidArgumentError('--audit-repeats and --audit-format need --audit-canaries M');
  }
  if (f.auditRepeats !== undefined) s.auditRepeats = parseInteger('--audit-repeats', f.auditRepeats, { min: 1 });
  if (f.auditFormat !== undefined) s.auditFormat = f.auditFormat;
  if (f.accountant !== undefined) {
    if (!isAccountantName(f.accountant)) throw new InvalidArgumentError(`--accountant must be ${ACCOUNTANT_NAMES.join(' or ')}, got '${f.accountant}'`);
    s.accountant = f.accountant;
  }
  if (f.initFrom !== undefined) s.initFrom = resolve(f.initFrom);
  Object.assign(s, unitSettingsFromFlags(f));
  if (f.physicalBatchSize !== undefined) s.physicalBatchSize = parseInteger('--physical-batch-size', f.physicalBatchSize, { min: 1 });
  if (f.nonFinite !== undefined) {
    if (!(NON_FINITE_POLICIES as readonly string[]).includes(f.nonFinite)) throw new InvalidArgumentError(`--non-finite must be stop or skip, got '${f.nonFinite}'`);
    s.nonFinite = f.nonFinite as NonFinitePolicy;
  }
  return s;
}

/** Build a RunConfig from flags; defaults come from the study's 'default' preset and the tokenizer. */
export function runConfigFromFlags(f: TrainFlags): RunConfig {
  const defaults = resolveStudyConfig('default').shared;
  // Fine-tuning: the model shape and text handling default to the starting run's.
  const start = f.initFrom !== undefined ? readRunRecord(resolve(f.initFrom), `--init-from ${f.initFrom}`).config : null;
  const d = start
    ? { ...defaults, embeddingDim: start.embeddingDim, hiddenSize: start.hiddenSize, layers: start.layers, heads: start.heads, ffnSize: start.ffnSize, lowercase: start.lowercase, maxVocab: start.maxVocab }
    : defaults;
  if (start && f.cell !== undefined && f.cell !== start.cell) throw new InvalidArgumentError(`--cell ${f.cell}: the --init-from run uses ${start.cell}`);
  if (start && f.tokenizer !== undefined && f.tokenizer !== start.tokenizer) throw new InvalidArgumentError(`--tokenizer ${f.tokenizer}: the --init-from run uses ${start.tokenizer}`);
  if (f.noiseMultiplier !== undefined && f.targetEpsilon !== undefined) {
    throw new InvalidArgumentError('give --noise-multiplier or --target-epsilon, not both');
  }
  if (f.samplingRate !== undefined && f.batchSize !== undefined) throw new InvalidArgumentError('give --sampling-rate or --batch-size, not both');
  const isPrivate = f.noiseMultiplier !== undefined || f.targetEpsilon !== undefined;
  if (!isPrivate && f.clip !== undefined) throw new InvalidArgumentError('--clip applies to private training: add --noise-multiplier or --target-epsilon');
  if (!isPrivate && f.accountant !== undefined) throw new InvalidArgumentError('--accountant applies to private training: add --target-epsilon or --noise-multiplier');
  const s = settingsFromFlags(f);
  const tokenizer = s.tokenizer ?? start?.tokenizer ?? 'char';
  const dropout = s.dropout ?? 0;
  const weightDecay = s.weightDecay ?? 0;
  // Transformer defaults (layers, heads, FFN width, embedding = width) fill what the flags leave out.
  const shape = resolveModelShape({ ...d, cell: start ? start.cell : 'lstm' }, s);
  return {
    ...d,
    tokenizer,
    maxVocab: start ? start.maxVocab : DEFAULT_MAX_VOCAB[tokenizer],
    mode: s.initFrom !== undefined ? 'fine-tune' : 'scratch',
    dropout,
    weightDecay,
    seed: 0,
    secureRandom: true,
    exposureEachEpoch: true,
    ...s,
    ...shape,
    mitigation: isPrivate ? 'dp' : dropout > 0 ? 'dropout' : weightDecay > 0 ? 'weight-decay' : 'none',
  };
}

/** How a setting reads in an error message: JSON, with "none" for an unset one. */
function showSetting(v: unknown): string {
  return v === undefined ? 'none' : JSON.stringify(v);
}

/** Flag of each RunConfig field that `dp-canary train` sets. */
const FLAG_OF: Partial<Record<keyof RunConfig, string>> = {
  corpus: '--corpus', corpusMaxChars: '--max-chars', tokenizer: '--tokenizer', maxVocab: '--max-vocab', canaryFormat: '--canary-format',
  insertions: '--insertions', noiseMultiplier: '--noise-multiplier', targetEpsilon: '--target-epsilon', clip: '--clip',
  samplingRate: '--sampling-rate', batchSize: '--batch-size', epochs: '--epochs', delta: '--delta', optimizer: '--optimizer',
  learningRate: '--learning-rate', dropout: '--dropout', weightDecay: '--weight-decay', embeddingDim: '--embedding-dim',
  hiddenSize: '--hidden-size', layers: '--layers', cell: '--cell', heads: '--heads', ffnSize: '--ffn-size', seqLength: '--seq-length', seed: '--seed',
  initFrom: '--init-from', physicalBatchSize: '--physical-batch-size', accountant: '--accountant', nonFinite: '--non-finite',
  auditCanaries: '--audit-canaries', auditRepeats: '--audit-repeats', auditFormat: '--audit-format',
  privacyUnit: '--privacy-unit', dataUnit: '--data-unit', unitWindows: '--unit-windows', userMap: '--user-map', userPattern: '--user-pattern',
};

/**
 * The settings of a resumed run: those of its run.json. A flag given with --resume must agree
 * with it; one that differs is an InvalidArgumentError naming the setting and both values.
 */
export function resumedConfig(saved: RunConfig, given: TrainFlags): RunConfig {
  const s = settingsFromFlags(given);
  for (const [key, value] of Object.entries(s) as [keyof RunConfig, unknown][]) {
    if (key === 'secureRandom') continue; // compared through --seed
    const old = key === 'seed' && saved.secureRandom !== false ? undefined : saved[key];
    if (JSON.stringify(old) !== JSON.stringify(value)) {
      const shown = key === 'seed' && old === undefined ? 'none (node:crypto randomness)' : showSetting(old);
      throw new InvalidArgumentError(
        `cannot resume: ${FLAG_OF[key] ?? key} is ${showSetting(value)} but the run's run.json has ${shown}; ` +
          'omit the flag to resume with the saved settings',
      );
    }
  }
  return saved;
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
    .option('--corpus <path>', "'brown' (the embedded Brown Corpus) or a .txt file or folder of .txt files (default: \"brown\")")
    .option('--max-chars <n>', 'characters of corpus text to use')
    .option('--tokenizer <kind>', 'char or word (default: "char")')
    .option(
      '--max-vocab <n>',
      `largest vocabulary, special ids included; rarer symbols map to the unknown id (default: ${DEFAULT_MAX_VOCAB.char} for char, ` +
        `${DEFAULT_MAX_VOCAB.word} for word)`,
    )
    .option('--canary-format <format>', "canary format, e.g. 'the random number is {digits:6}' ({digits:N}, {lower:N}, {set:CHARS:N})")
    .option('--insertions <list>', 'one canary per count, each inserted that many times, e.g. 1,4,16')
    .option('--noise-multiplier <sigma>', 'DP-SGD noise std divided by the clip norm (enables DP)')
    .option('--target-epsilon <eps>', 'DP-SGD: calibrate sigma so the run spends this epsilon (nats) at --delta (enables DP)')
    .option('--clip <C>', 'per-example L2 clip norm of DP-SGD (default 1)')
    .option('--sampling-rate <q>', 'Poisson sampling rate per step, in (0, 1] (of windows, or of units with --privacy-unit document or user)')
    .option('--batch-size <B>', 'expected batch size: windows per step (q = B / training windows); with --privacy-unit document or user, UNITS per step (q = B / training units)')
    .option('--epochs <E>', 'passes over the training data (steps = ceil(E / q))')
    .option('--delta <delta>', 'delta of (epsilon, delta)-DP (default 1e-5), should be below 1 / training windows (or units with --privacy-unit)')
    .option('--optimizer <name>', `${OPTIMIZER_NAMES.slice(0, -1).join(', ')} or ${OPTIMIZER_NAMES.at(-1)!}`)
    .option('--learning-rate <lr>', 'optimizer learning rate')
    .option('--dropout <rate>', 'dropout rate in [0, 1)')
    .option('--weight-decay <lambda>', 'L2 weight decay coefficient')
    .option('--embedding-dim <n>', 'embedding size (a transformer\'s is its --hidden-size)')
    .option('--hidden-size <n>', 'recurrent layer size, or the transformer\'s width')
    .option('--layers <n>', 'stacked recurrent layers or transformer blocks (transformer default 2)')
    .option('--cell <cell>', 'lstm, gru or transformer (a GPT-style decoder; its position table is --seq-length long) (default: "lstm")')
    .option('--heads <n>', 'transformer: attention heads, dividing --hidden-size (default 4)')
    .option('--ffn-size <n>', 'transformer: width of the MLP\'s hidden layer (default 4 x --hidden-size)')
    .option('--seq-length <n>', 'tokens per training window (one window = the DP privacy unit unless --privacy-unit)')
    .option(
      '--privacy-unit <unit>',
      'what DP-SGD protects and epsilon is per: window (default: one training window), document (one file of a corpus folder) or ' +
        'user (all documents of one user: --user-map or --user-pattern). With document or user, units are Poisson-sampled, ' +
        'windows never span two units, and each sampled unit\'s mean gradient over at most --unit-windows of its windows is clipped to --clip',
    )
    .option('--unit-windows <m>', 'most windows of a sampled unit in one step, drawn at random without replacement (default 4); more costs time per step, never privacy')
    .option(
      '--data-unit <unit>',
      'group the data by document or user (windows cut per unit, split by document, all copies of a canary in one unit) without ' +
        'changing the privacy unit: a window-level or non-private run on the same data as a user-level one (default: the privacy unit)',
    )
    .option('--user-map <file>', 'each document\'s user: a JSON object {"document-id": "user"} or TSV lines document-id<TAB>user (ids are paths relative to the corpus folder)')
    .option('--user-pattern <regex>', 'each document\'s user: the first capture group of this regular expression on the document id, e.g. \'^([^/]+)/\' for one folder per user')
    .option('--seed <n>', 'reproducible run from a seed (NOT a real privacy guarantee); default: node:crypto randomness')
    .option('--accountant <name>', 'rdp or pld: the accountant that calibrates --target-epsilon and enforces the budget (default rdp; pld is tighter, so it needs less noise; both figures are reported)')
    .option('--physical-batch-size <n>', 'largest number of examples per forward/backward pass; larger (logical) batches are processed in chunks (memory only: privacy and results are unchanged)')
    .option(
      '--init-from <dir>',
      'fine-tune: start from the weights and tokenizer of a finished run folder (its model shape is kept). A private run\'s ' +
        'ledger is composed into this one; a non-private one is treated as trained on public data (your claim to make)',
    )
    .option('--non-finite <policy>', "an example whose loss or gradient is NaN or Infinity: stop (default: the run stops naming the step; the last checkpoint is kept) or skip (it contributes zero to its step and is counted)")
    .option('--resume', 'continue the run in --out from its checkpoint, with the settings of its run.json')
    .option('--overwrite', 'replace the run already in --out (its model and privacy ledger are deleted)')
    .option('--backend <name>', 'tfjs backend: tensorflow, wasm or cpu (default: fastest available)')
    .option(
      '--threads <n>',
      'worker threads computing each step\'s gradient and the exact exposure (data-parallel; results differ from one thread only in ' +
        'floating-point rounding). Default auto: one per 16 examples of the expected batch, up to the cores available',
    )
    .option('--audit-canaries <m>', 'add m audit canaries, each in the training data with probability 1/2, for `dp-canary audit`')
    .option('--audit-repeats <k>', 'training windows per included audit canary (default 1; the audit converts by group privacy)')
    .option('--audit-format <format>', "format of the audit canaries (default 'audit {digits:20}'; must differ from --canary-format)")
    .option('--no-exposure', 'skip measuring exposure and extraction after training')
    .option('--json', 'print the final metrics as one JSON object')
    .action(async (flags: TrainFlags) => {
      const dir = resolve(flags.out!);
      if (flags.resume && flags.overwrite) throw new InvalidArgumentError('give --resume or --overwrite, not both');
      const config = flags.resume ? resumedConfig(readRunRecord(dir).config, flags) : runConfigFromFlags(flags);
      if (!flags.resume) prepareFreshRunFolder(dir, flags.overwrite ?? false);
      const backend = flags.backend !== undefined ? parseBackendName(flags.backend, '--backend') : undefined;
      const threads = flags.threads === undefined || flags.threads === 'auto' ? 'auto' : parseInteger('--threads', flags.threads, { min: 1 });
      const parallel = new ParallelSession(threads, backend ? { backend } : {});
      try {
        await trainAndReport(io, config, dir, flags, backend, parallel);
      } finally {
        await parallel.close();
      }
    });
}

/** Trains the run in `dir`, measures it, and prints the report. */
async function trainAndReport(
  io: CliIO,
  config: RunConfig,
  dir: string,
  flags: TrainFlags,
  backend: BackendName | undefined,
  parallel: ParallelSession,
): Promise<void> {
  const progress = new ProgressLine(io);
  const unit = config.privacyUnit ?? 'window';
  const { metrics } = await trainRun(config, dir, {
    parallel,
    ...(backend ? { backend } : {}),
    resume: flags.resume ?? false,
    log: (m) => {
      progress.done();
      io.err(`dp-canary: ${m}\n`);
    },
    onStep: (r) =>
      progress.update(
        `${bar(r.step / r.totalSteps)} step ${r.step}/${r.totalSteps}  loss ${Number.isNaN(r.loss) ? '-' : r.loss.toFixed(3)}  ` +
          `epsilon ${Number.isFinite(r.epsilon) ? r.epsilon.toFixed(3) : 'inf'} per ${unit}  ${r.examplesPerSecond.toFixed(0)} ${unit === 'window' ? 'ex' : `${unit}s`}/s`,
      ),
    onEpoch: (e) => {
      progress.done();
      const exp = Object.entries(e.exposure).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ');
      io.err(`epoch ${e.epoch}: validation loss ${e.validationLoss.toFixed(3)} nats/token${exp ? `; estimated exposure (bits): ${exp}` : ''}\n`);
    },
  });
  progress.done();
  const measurement = flags.exposure ? await measureRun(dir, { parallel, log: (m) => io.err(`${m}\n`) }) : null;
  if (flags.json) {
    io.out(toJson({ run: dir, ...metrics, exposure: measurement }) + '\n');
    return;
  }
  const threadNote = (metrics.threads ?? 1) > 1 ? `, ${metrics.threads} threads data-parallel` : ', one thread';
  io.out(`run: ${dir} (backend ${metrics.backend}${threadNote}, ${metrics.randomSource} randomness)\n`);
  io.out(formatRunPrivacy(metrics));
  if (metrics.startingPoint) {
    const sp = metrics.startingPoint;
    io.out(
      sp.private
        ? `starting point: ${sp.run} (private, epsilon ${sp.epsilon.toFixed(3)} per ${sp.privacyUnit ?? 'window'}; its ledger is composed into this run's)\n`
        : `starting point: ${sp.run} (non-private: treated as trained on public data, which is your claim to make)\n`,
    );
  }
  io.out(`utility: validation loss ${metrics.validationLoss.toFixed(4)} nats/token, perplexity ${metrics.validationPerplexity.toFixed(3)}\n`);
  if (measurement) io.out(formatMeasurement(measurement));
  if (metrics.randomSource === 'seeded' && metrics.private) {
    io.out('note: seeded randomness makes the run reproducible but the noise guessable; omit --seed for a real guarantee.\n');
  }
}

