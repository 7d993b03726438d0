import type { Command } from 'commander';
import type { CliIO } from '../io.js';
import { parseInRange, parseInteger, parseNumberList, toJson } from '../parse.js';
import { DEFAULT_ORDERS, sampledGaussianRdp } from '../../accountant/index.js';
import { parseNoiseMultiplier } from './epsilon.js';

interface RdpFlags {
  samplingRate?: string;
  noiseMultiplier?: string;
  steps?: string;
  orders?: string;
  json?: boolean;
}

export function register(program: Command, io: CliIO): void {
  program
    .command('rdp')
    .description(
      'Renyi DP (in nats) of the Poisson-subsampled Gaussian mechanism at given orders, total over T steps ' +
        '(Mironov, Talwar, Zhang 2019; exact at integer and fractional orders).',
    )
    .option('--sampling-rate <q>', 'Poisson sampling rate q in [0, 1]')
    .option('--noise-multiplier <sigma>', 'noise standard deviation divided by the L2 sensitivity (>= 0)')
    .option('--steps <T>', 'number of steps composed (integer >= 0)', '1')
    .option('--orders <list>', 'comma-separated RDP orders alpha > 1, e.g. 1.5,2,32 (default: the accountant grid)')
    .option('--json', 'print one JSON object {"orders": [...], "rdp": [...]}')
    .showHelpAfterError(false)
    .showSuggestionAfterError(false)
    .action((opts: RdpFlags) => {
      const q = parseInRange('--sampling-rate', opts.samplingRate, 0, 1);
      const sigma = parseNoiseMultiplier(opts.noiseMultiplier);
      const steps = parseInteger('--steps', opts.steps);
      const orders = opts.orders === undefined ? [...DEFAULT_ORDERS] : parseNumberList('--orders', opts.orders);
      const rdp = sampledGaussianRdp(q, sigma, orders, steps);
      if (opts.json) {
        io.out(toJson({ orders, rdp }) + '\n');
        return;
      }
      io.out(`RDP (nats) of ${steps} step(s), sampling rate q = ${q}, noise multiplier sigma = ${sigma}:\n`);
      io.out('  order alpha    RDP\n');
      orders.forEach((a, i) => io.out(`  ${String(a).padEnd(12)} ${rdp[i]!.toPrecision(8)}\n`));
    });
}
