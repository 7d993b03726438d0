import type { Command } from 'commander';
import type { CliIO } from '../io.js';
import { parseNumber, toJson } from '../parse.js';
import { UserError } from '../../util/errors.js';
import { calibrateNoiseMultiplier, DEFAULT_ORDERS, epsilonFromRdp, sampledGaussianRdp } from '../../accountant/index.js';
import { addScheduleOptions, ASSUMPTIONS, fmt, parseDelta, resolveSchedule, type ScheduleFlags } from './epsilon.js';

interface CalibrateFlags extends ScheduleFlags {
  targetEpsilon?: string;
  delta?: string;
  json?: boolean;
}

export function register(program: Command, io: CliIO): void {
  const cmd = program
    .command('calibrate')
    .description(
      'Smallest noise multiplier sigma (noise std / clipping norm) whose epsilon (nats) at delta stays within a target, ' +
        'for a DP-SGD schedule (RDP accountant, to 1e-6 relative).',
    )
    .option('--target-epsilon <epsilon>', 'privacy budget epsilon in nats (> 0)');
  addScheduleOptions(cmd)
    .option('--delta <delta>', 'delta of the (epsilon, delta) guarantee, 0 < delta < 1')
    .option('--json', 'print one JSON object')
    .showHelpAfterError(false)
    .showSuggestionAfterError(false)
    .action((opts: CalibrateFlags) => {
      if (opts.targetEpsilon === undefined) throw new UserError('missing required option --target-epsilon');
      const target = parseNumber('--target-epsilon', opts.targetEpsilon);
      if (!(target > 0)) throw new UserError(`--target-epsilon must be > 0, got ${opts.targetEpsilon}`);
      const schedule = resolveSchedule(opts);
      if (opts.delta === undefined) throw new UserError('missing required option --delta');
      const delta = parseDelta(opts.delta);
      const { noiseMultiplier, epsilon } = calibrateNoiseMultiplier({
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
