import type { Command } from 'commander';
import type { CliIO } from '../io.js';
import { parseInRange, parseInteger, parseNumber, toJson } from '../parse.js';
import { InvalidArgumentError } from '../../util/errors.js';
import {
  ACCOUNTANT_NAMES,
  DEFAULT_ORDERS,
  isAccountantName,
  createAccountant,
  deltaFromRdp,
  dpSgdEvent,
  epsilonFromRdp,
  sampledGaussianRdp,
  type AccountantName,
  type PldOptions,
} from '../../accountant/index.js';

/** Raw flag values shared by the accountant commands (commander keeps them as strings). */
export interface ScheduleFlags {
  samplingRate?: string;
  steps?: string;
  datasetSize?: string;
  batchSize?: string;
  epochs?: string;
}

/** The DP-SGD schedule: Poisson sampling rate q and number of steps T (and where they came from). */
export interface Schedule {
  samplingRate: number;
  steps: number;
  /** Set when q and T were derived from --dataset-size/--batch-size/--epochs. */
  derivedFrom?: { datasetSize: number; batchSize: number; epochs: number };
}

/** Adds the schedule flags: either --sampling-rate and --steps, or --dataset-size, --batch-size and --epochs. */
export function addScheduleOptions(cmd: Command): Command {
  return cmd
    .option('--sampling-rate <q>', 'Poisson sampling rate q in [0, 1]: each example joins a batch with probability q')
    .option('--steps <T>', 'number of training steps (integer >= 0)')
    .option('--dataset-size <N>', 'instead of q and T: number of training examples N (q = B/N)')
    .option('--batch-size <B>', 'instead of q and T: expected batch size B, 1 <= B <= N')
    .option('--epochs <E>', 'instead of q and T: number of epochs E > 0 (T = ceil(E*N/B), as TF Privacy)');
}

/** Resolves (q, T) from the flags; InvalidArgumentError when both or neither forms are given, or a value is bad. */
export function resolveSchedule(f: ScheduleFlags): Schedule {
  const direct = f.samplingRate !== undefined || f.steps !== undefined;
  const derived = f.datasetSize !== undefined || f.batchSize !== undefined || f.epochs !== undefined;
  if (direct && derived) {
    throw new InvalidArgumentError(
      'give either --sampling-rate and --steps, or --dataset-size, --batch-size and --epochs, not a mix of both',
    );
  }
  if (derived) {
    const datasetSize = parseInteger('--dataset-size', f.datasetSize, { min: 1 });
    const batchSize = parseInteger('--batch-size', f.batchSize, { min: 1 });
    if (batchSize > datasetSize) throw new InvalidArgumentError(`--batch-size (${batchSize}) must not exceed --dataset-size (${datasetSize})`);
    const epochs = parseNumber('--epochs', f.epochs);
    if (!(epochs > 0)) throw new InvalidArgumentError(`--epochs must be > 0, got ${f.epochs}`);
    // Same arithmetic as TF Privacy's compute_dp_sgd_privacy: q = B/N, T = ceil(E*N/B).
    const steps = Math.ceil((epochs * datasetSize) / batchSize);
    if (!Number.isSafeInteger(steps)) throw new InvalidArgumentError('--epochs gives too many steps');
    return { samplingRate: batchSize / datasetSize, steps, derivedFrom: { datasetSize, batchSize, epochs } };
  }
  if (f.samplingRate === undefined) {
    throw new InvalidArgumentError('missing required option --sampling-rate (or --dataset-size, --batch-size and --epochs)');
  }
  const samplingRate = parseInRange('--sampling-rate', f.samplingRate, 0, 1);
  if (f.steps === undefined) throw new InvalidArgumentError('missing required option --steps');
  return { samplingRate, steps: parseInteger('--steps', f.steps) };
}

/** --noise-multiplier: a finite number >= 0 (noise std / clipping norm). */
export function parseNoiseMultiplier(raw: string | undefined): number {
  const s = parseNumber('--noise-multiplier', raw);
  if (s < 0) throw new InvalidArgumentError(`--noise-multiplier must be >= 0, got ${raw}`);
  return s;
}

/** --delta: in (0, 1). */
export function parseDelta(raw: string | undefined, flag = '--delta'): number {
  return parseInRange(flag, raw, 0, 1, { loOpen: true, hiOpen: true });
}

function describeSchedule(s: Schedule, sigma: number): string {
  const from = s.derivedFrom
    ? ` (from ${s.derivedFrom.datasetSize} examples, batch size ${s.derivedFrom.batchSize}, ${s.derivedFrom.epochs} epochs)`
    : '';
  return `${s.steps} steps of DP-SGD with sampling rate q = ${s.samplingRate.toPrecision(6)}${from} and noise multiplier sigma = ${sigma}`;
}

/** Adds --accountant and --pld-interval. */
export function addAccountantOptions(cmd: Command): Command {
  return cmd
    .option('--accountant <name>', 'rdp (Renyi DP, default) or pld (privacy loss distribution: tighter, slower)', 'rdp')
    .option('--pld-interval <nats>', 'PLD only: fixed discretization interval in nats (default: chosen automatically for 0.5% relative accuracy)');
}

export interface AccountantFlags {
  accountant?: string;
  pldInterval?: string;
}

/** Resolves --accountant and --pld-interval; InvalidArgumentError on bad values. */
export function resolveAccountant(f: AccountantFlags): { name: AccountantName; pld: PldOptions } {
  const name = f.accountant ?? 'rdp';
  if (!isAccountantName(name)) throw new InvalidArgumentError(`--accountant must be ${ACCOUNTANT_NAMES.join(' or ')}, got '${name}'`);
  if (f.pldInterval === undefined) return { name, pld: {} };
  if (name !== 'pld') throw new InvalidArgumentError('--pld-interval needs --accountant pld');
  const interval = parseNumber('--pld-interval', f.pldInterval);
  if (!(interval > 0 && interval <= 1)) throw new InvalidArgumentError(`--pld-interval must be in (0, 1] nats, got ${f.pldInterval}`);
  return { name, pld: { interval } };
}

export const PLD_ASSUMPTIONS =
  'PLD accountant (privacy loss distribution of the Poisson-subsampled Gaussian mechanism, both directions of add/remove-one ' +
  'adjacency, pessimistic "connect the dots" discretization, FFT composition; an upper bound). L2 sensitivity = clipping norm.';

export const ASSUMPTIONS =
  'RDP accountant for the Poisson-subsampled Gaussian mechanism (each example joins each batch independently ' +
  'with probability q; fixed-size shuffled batches are a different mechanism), add/remove-one adjacency, ' +
  'L2 sensitivity = clipping norm.';

interface EpsilonFlags extends ScheduleFlags, AccountantFlags {
  noiseMultiplier?: string;
  delta?: string;
  epsilon?: string;
  json?: boolean;
}

export function register(program: Command, io: CliIO): void {
  const cmd = program
    .command('epsilon')
    .description(
      'Privacy spent by DP-SGD: epsilon (in nats) at a given delta, or delta at a given epsilon, from the RDP accountant ' +
        '(tight RDP-to-DP conversion, minimised over RDP orders) or the PLD accountant (--accountant pld).',
    );
  addAccountantOptions(addScheduleOptions(cmd))
    .option('--noise-multiplier <sigma>', 'noise standard deviation divided by the clipping norm (>= 0)')
    .option('--delta <delta>', 'report epsilon (nats) at this delta, 0 < delta < 1')
    .option('--epsilon <epsilon>', 'instead of --delta: report delta at this epsilon (nats, >= 0)')
    .option('--json', 'print one JSON object')
    .showHelpAfterError(false)
    .showSuggestionAfterError(false)
    .action((opts: EpsilonFlags) => {
      const schedule = resolveSchedule(opts);
      const sigma = parseNoiseMultiplier(opts.noiseMultiplier);
      if ((opts.delta === undefined) === (opts.epsilon === undefined)) {
        throw new InvalidArgumentError('give exactly one of --delta (to get epsilon) or --epsilon (to get delta)');
      }
      const acc = resolveAccountant(opts);
      const delta = opts.delta !== undefined ? parseDelta(opts.delta) : undefined;
      let epsilon: number | undefined;
      if (opts.epsilon !== undefined) {
        epsilon = parseNumber('--epsilon', opts.epsilon);
        if (epsilon < 0) throw new InvalidArgumentError(`--epsilon must be >= 0, got ${opts.epsilon}`);
      }
      if (acc.name === 'pld') {
        io.out(pldReport(schedule, sigma, acc.pld, delta, epsilon, opts.json === true));
        return;
      }
      const rdp = sampledGaussianRdp(schedule.samplingRate, sigma, DEFAULT_ORDERS, schedule.steps);
      const base = { samplingRate: schedule.samplingRate, noiseMultiplier: sigma, steps: schedule.steps, accountant: 'rdp' as const };
      if (delta !== undefined) {
        const r = epsilonFromRdp(DEFAULT_ORDERS, rdp, delta);
        if (opts.json) {
          io.out(toJson({ epsilon: r.epsilon, delta, order: r.order, ...base }) + '\n');
        } else {
          io.out(
            `epsilon = ${fmt(r.epsilon)} (nats) at delta = ${delta}` +
              `, best RDP order alpha = ${r.order}` +
              `\n  ${describeSchedule(schedule, sigma)}.\n  ${ASSUMPTIONS}\n`,
          );
        }
      } else {
        const r = deltaFromRdp(DEFAULT_ORDERS, rdp, epsilon!);
        if (opts.json) {
          io.out(toJson({ delta: r.delta, epsilon, order: r.order, ...base }) + '\n');
        } else {
          io.out(
            `delta = ${r.delta.toPrecision(6)} at epsilon = ${epsilon} (nats), best RDP order alpha = ${r.order}` +
              `\n  ${describeSchedule(schedule, sigma)}.\n  ${ASSUMPTIONS}\n`,
          );
        }
      }
    });
}

/**
 * The PLD accountant's answer (epsilon at delta, or delta at epsilon) with the RDP figure beside
 * it. `accountant` is 'rdp' where the PLD could not certify a smaller figure (a note says why).
 */
function pldReport(schedule: Schedule, sigma: number, pld: PldOptions, delta: number | undefined, epsilon: number | undefined, json: boolean): string {
  const make = (name: AccountantName) => {
    const a = createAccountant(name, pld);
    if (schedule.steps > 0) a.compose(dpSgdEvent(schedule.samplingRate, sigma, schedule.steps));
    return a;
  };
  const base = { samplingRate: schedule.samplingRate, noiseMultiplier: sigma, steps: schedule.steps };
  const context = `\n  ${describeSchedule(schedule, sigma)}.\n  ${PLD_ASSUMPTIONS}\n`;
  if (delta !== undefined) {
    const r = make('pld').epsilon(delta);
    const rdp = make('rdp').epsilon(delta);
    const extra = { order: r.order ?? null, ...(r.interval !== undefined ? { interval: r.interval } : {}), rdpEpsilon: rdp.epsilon, ...(r.note ? { note: r.note } : {}) };
    if (json) return toJson({ epsilon: r.epsilon, delta, ...extra, ...base, accountant: r.accountant }) + '\n';
    return (
      `epsilon = ${fmt(r.epsilon)} (nats) at delta = ${delta}, ${describeFigure(r.accountant, r.interval, r.order)}` +
      ` (RDP accountant: ${fmt(rdp.epsilon)})` +
      (r.note ? `\n  Note: ${r.note}.` : '') +
      context
    );
  }
  const r = make('pld').delta(epsilon!);
  const rdp = make('rdp').delta(epsilon!);
  const extra = { order: r.order ?? null, ...(r.interval !== undefined ? { interval: r.interval } : {}), rdpDelta: rdp.delta, ...(r.note ? { note: r.note } : {}) };
  if (json) return toJson({ delta: r.delta, epsilon, ...extra, ...base, accountant: r.accountant }) + '\n';
  return (
    `delta = ${r.delta.toPrecision(6)} at epsilon = ${epsilon} (nats), ${describeFigure(r.accountant, r.interval, r.order)}` +
    ` (RDP accountant: ${rdp.delta.toPrecision(6)})` +
    (r.note ? `\n  Note: ${r.note}.` : '') +
    context
  );
}

/** "PLD accountant, discretization interval h nats" or "RDP accountant, best order alpha". */
export function describeFigure(accountant: AccountantName, interval?: number, order?: number): string {
  return accountant === 'pld'
    ? `PLD accountant, discretization interval ${interval?.toPrecision(3)} nats`
    : `RDP accountant, best RDP order alpha = ${order}`;
}

/** Four decimals for people; Infinity spelled out. */
export function fmt(x: number): string {
  return Number.isFinite(x) ? x.toFixed(4) : 'Infinity (no finite guarantee)';
}
