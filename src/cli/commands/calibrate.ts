import type { Command } from 'commander';
import type { CliIO } from '../io.js';
import { parseNumber, toJson } from '../parse.js';
import { InvalidArgumentError } from '../../util/errors.js';
import {
  calibrateNoise,
  DEFAULT_ORDERS,
  epsilonFromRdp,
  sampledGaussianRdp,
} from '../../accountant/index.js';
import {
  addAccountantOptions,
  addScheduleOptions,
  ASSUMPTIONS,
  describeFigure,
  fmt,
  parseDelta,
  PLD_ASSUMPTIONS,
  resolveAccountant,
  resolveSchedule,
  type AccountantFlags,
  type ScheduleFlags,
} from './epsilon.js';

interface CalibrateFlags extends ScheduleFlags, AccountantFlags {
  targetEpsilon?: string;
  delta?: string;
  json?: boolean;
}

export function register(program: Command, io: CliIO): void {
  const cmd = program
    .command('calibrate')
    .description(
      'Smallest noise multiplier sigma (noise std / clipping norm) whose epsilon (nats) at delta stays within a target, ' +
        'for a DP-SGD schedule (RDP accountant to 1e-6 relative, or PLD accountant with --accountant pld to 1e-4 relative).',
    )
    .option('--target-epsilon <epsilon>', 'privacy budget epsilon in nats (> 0)');
  addAccountantOptions(addScheduleOptions(cmd))
    .option('--delta <delta>', 'delta of the (epsilon, delta) guarantee, 0 < delta < 1')
    .option('--json', 'print one JSON object')
    .showHelpAfterError(false)
    .showSuggestionAfterError(false)
    .action((opts: CalibrateFlags) => {
      if (opts.targetEpsilon === undefined) throw new InvalidArgumentError('missing required option --target-epsilon');
      const target = parseNumber('--target-epsilon', opts.targetEpsilon);
      if (!(target > 0)) throw new InvalidArgumentError(`--target-epsilon must be > 0, got ${opts.targetEpsilon}`);
      const schedule = resolveSchedule(opts);
      if (opts.delta === undefined) throw new InvalidArgumentError('missing required option --delta');
      const delta = parseDelta(opts.delta);
      const acc = resolveAccountant(opts);
      if (acc.name === 'pld') {
        const r = calibrateNoise({
          accountant: 'pld',
          targetEpsilon: target,
          samplingRate: schedule.samplingRate,
          steps: schedule.steps,
          delta,
          pld: acc.pld,
        });
        if (opts.json) {
          io.out(
            toJson({
              noiseMultiplier: r.noiseMultiplier,
              epsilon: r.epsilon,
              targetEpsilon: target,
              delta,
              order: null,
              ...(r.interval !== undefined ? { interval: r.interval } : {}),
              ...(r.note ? { note: r.note } : {}),
              samplingRate: schedule.samplingRate,
              steps: schedule.steps,
              accountant: r.accountant,
            }) + '\n',
          );
          return;
        }
        io.out(
          `noise multiplier sigma = ${r.noiseMultiplier.toPrecision(6)} gives epsilon = ${fmt(r.epsilon)} (nats) <= ${target} at delta = ${delta}` +
            `, ${describeFigure(r.accountant, r.interval)}` +
            (r.note ? `\n  Note: ${r.note}.` : '') +
            `\n  for ${schedule.steps} steps at sampling rate q = ${schedule.samplingRate.toPrecision(6)}.\n  ${PLD_ASSUMPTIONS}\n`,
        );
        return;
      }
      const { noiseMultiplier, epsilon } = calibrateNoise({
        targetEpsilon: target,
        samplingRate: schedule.samplingRate,
        steps: schedule.steps,
        delta,
      });
      const { order } = epsilonFromRdp(
        DEFAULT_ORDERS,
        sampledGaussianRdp(schedule.samplingRate, noiseMultiplier, DEFAULT_ORDERS, schedule.steps),
        delta,
      );
      if (opts.json) {
        io.out(
          toJson({
            noiseMultiplier,
            epsilon,
            targetEpsilon: target,
            delta,
            order,
            samplingRate: schedule.samplingRate,
            steps: schedule.steps,
            accountant: 'rdp',
          }) + '\n',
        );
        return;
      }
      io.out(
        `noise multiplier sigma = ${noiseMultiplier.toPrecision(8)} gives epsilon = ${fmt(epsilon)} (nats) <= ${target} at delta = ${delta}` +
          `, best RDP order alpha = ${order}\n  for ${schedule.steps} steps at sampling rate q = ${schedule.samplingRate.toPrecision(6)}.\n  ${ASSUMPTIONS}\n`,
      );
    });
}
