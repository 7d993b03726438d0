import type { Command } from 'commander';
import type { CliIO } from '../io.js';
import { register as registerEpsilon } from './epsilon.js';
import { register as registerCalibrate } from './calibrate.js';
import { register as registerRdp } from './rdp.js';
import { register as registerExposure } from './exposure.js';

/**
 * Every subcommand lives in its own file in this folder, exporting `register(program, io)`,
 * and is registered here with one line. Order is the order shown in --help.
 */
export function registerCommands(program: Command, io: CliIO): void {
  registerEpsilon(program, io);
  registerCalibrate(program, io);
  registerRdp(program, io);
  registerExposure(program, io);
  void program;
  void io;
}
