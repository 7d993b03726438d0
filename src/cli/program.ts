import { Command, CommanderError } from 'commander';
import { CompletedWithFailures, DpCanaryError, NonFiniteLossError, WorkerFailedError } from '../util/errors.js';
import { registerCommands } from './commands/index.js';
import type { CliIO } from './io.js';
import { packageVersion } from '../util/package-info.js';

/** Exit code for usage errors and bad input (the convention of commander-based CLIs). */
export const EXIT_USAGE = 2;

async function buildProgram(argv: readonly string[], io: CliIO): Promise<Command> {
  const program = new Command();
  program
    .name('dp-canary')
    .description(
      'Train language models with differential privacy (DP-SGD) and measure what they memorize ' +
        '(Secret Sharer canaries: exposure in bits, extraction). Privacy is (epsilon, delta), epsilon in nats, ' +
        'from an RDP accountant for the Poisson-subsampled Gaussian mechanism.',
    )
    .version(packageVersion());
  await registerCommands(program, io, argv);
  // Commander's own errors (unknown flag, missing argument) become one line and exit 2.
  const configure = (cmd: Command): void => {
    cmd.exitOverride();
    cmd.configureOutput({
      writeOut: (s) => io.out(s),
      writeErr: (s) => io.err(s),
      // One line: commander's error, its suggestion and the help hint are folded together.
      outputError: (s, write) => write(`${s.trim().replace(/\s*\n\s*/g, ' ')} (see ${cmd.name() === 'dp-canary' ? '' : `dp-canary ${cmd.name()} `}--help)\n`),
    });
    cmd.commands.forEach(configure);
  };
  configure(program);
  return program;
}

/** The first line of a message, so that an error is always one line on stderr. */
function firstLine(message: string): string {
  return message.split('\n', 1)[0]!.trim();
}

/**
 * Run the CLI on `argv` (user arguments only, without node and script path).
 * Returns the exit code: 0 success, 1 finished with failures (reported), 2 usage error or bad
 * input. Bugs propagate as exceptions.
 */
export async function runCli(argv: string[], io: CliIO): Promise<number> {
  try {
    const program = await buildProgram(argv, io);
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT_USAGE;
    if (err instanceof CompletedWithFailures) return err.exitCode;
    if (err instanceof NonFiniteLossError) {
      // The run itself failed (it names the step); not a usage error.
      io.err(`dp-canary: ${firstLine(err.message)}\n`);
      return 1;
    }
    // The library's deliberate errors (bad arguments, files, settings) are the user's to fix: one line.
    if (err instanceof DpCanaryError) {
      io.err(`dp-canary: ${firstLine(err.message)}\n`);
      return EXIT_USAGE;
    }
    if (err instanceof WorkerFailedError) {
      // Not a bug in the request: a thread died (memory, a killed process). Nothing of the step was applied.
      io.err(`dp-canary: ${err.message}; the failed step was not applied, and a run continues from its last checkpoint with --resume\n`);
      return 1;
    }
    throw err;
  }
}
