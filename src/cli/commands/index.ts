import type { Command } from 'commander';
import type { CliIO } from '../io.js';
import { register as registerEpsilon } from './epsilon.js';
import { register as registerCalibrate } from './calibrate.js';
import { register as registerRdp } from './rdp.js';
import { register as registerExposure } from './exposure.js';
import { register as registerTrain } from './train.js';
import { register as registerStudy } from './study.js';
import { register as registerExtract } from './extract.js';
import { register as registerAudit } from './audit.js';

/**
 * Every subcommand lives in its own file in this folder, exporting `register(program, io)`,
 * and is registered here with one line. Order is the order shown in --help.
 */
export function registerCommands(program: Command, io: CliIO): void {
  registerStudy(program, io);
  registerTrain(program, io);
  registerEpsilon(program, io);
  registerCalibrate(program, io);
  registerRdp(program, io);
  registerExposure(program, io);
  registerExtract(program, io);
  registerAudit(program, io);
}
