import type { Command } from 'commander';
import type { CliIO } from '../io.js';

/** What every command module in this folder exports. */
interface CommandModule {
  register(program: Command, io: CliIO): void;
}

/**
 * Every subcommand lives in its own file in this folder, exporting `register(program, io)`,
 * and is listed here with one line. Order is the order shown in --help.
 *
 * Modules are imported lazily: `dp-canary epsilon` loads only the accountant, not tfjs (which
 * alone costs about half a second and 100 MB at start-up).
 */
export const COMMANDS: ReadonlyArray<readonly [name: string, load: () => Promise<CommandModule>]> = [
  ['study', () => import('./study.js')],
  ['train', () => import('./train.js')],
  ['epsilon', () => import('./epsilon.js')],
  ['calibrate', () => import('./calibrate.js')],
  ['rdp', () => import('./rdp.js')],
  ['exposure', () => import('./exposure.js')],
  ['extract', () => import('./extract.js')],
  ['natural-exposure', () => import('./natural-exposure.js')],
  ['audit', () => import('./audit.js')],
  ['secrets', () => import('./secrets.js')],
];

/**
 * Registers the commands `argv` needs: only the named subcommand when argv names a known one
 * (its first non-option word), else all of them (top-level --help, `help`, a misspelt name that
 * commander should suggest a correction for).
 */
export async function registerCommands(program: Command, io: CliIO, argv: readonly string[] = []): Promise<void> {
  const word = argv.find((a) => !a.startsWith('-'));
  const named = COMMANDS.find(([name]) => name === word);
  for (const [, load] of named ? [named] : COMMANDS) (await load()).register(program, io);
}
