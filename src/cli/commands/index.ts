import type { Command } from 'commander';
import type { CliIO } from '../io.js';

/**
 * Every subcommand lives in its own file in this folder, exporting `register(program, io)`,
 * and is registered here with one line. Order is the order shown in --help.
 */
export function registerCommands(program: Command, io: CliIO): void {
  void program;
  void io;
}
