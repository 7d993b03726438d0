/**
 * Errors the library throws on purpose. Every one of them means "the caller asked for something
 * that cannot be done" and carries a one-line message meant for a person; the CLI prints that
 * line and exits 2 (src/cli/program.ts). Any other error is a bug.
 */

/** Base class of dp-canary's deliberate errors: catch this to tell them from bugs. */
export class DpCanaryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DpCanaryError';
  }
}

/**
 * A bad argument or input: a value out of range, contradictory options, a file that is missing,
 * malformed or of another kind, a run folder that cannot be resumed with these settings.
 */
export class InvalidArgumentError extends DpCanaryError {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidArgumentError';
  }
}

/**
 * A broken internal invariant: a bug in dp-canary, never the caller's mistake (bad arguments
 * throw InvalidArgumentError). The CLI lets it show its stack.
 */
export class InternalError extends Error {
  constructor(message: string) {
    super(`internal error (a bug in dp-canary, please report it): ${message}`);
    this.name = 'InternalError';
  }
}

/**
 * Training met a non-finite loss or gradient (NaN or Infinity) and stopped before applying the
 * step, so the model, the ledger and the last checkpoint are as they were after the step before.
 * The message names the step; the CLI prints it as one line (exit 1).
 */
export class NonFiniteLossError extends DpCanaryError {
  /** @param step 1-based number of the step that was not applied. */
  constructor(message: string, readonly step: number) {
    super(message);
    this.name = 'NonFiniteLossError';
  }
}

/**
 * A command finished and already reported its outcome, but must exit non-zero (for example a
 * study where some points failed). The CLI returns `exitCode` without printing anything more.
 */
export class CompletedWithFailures extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'CompletedWithFailures';
  }
}

/**
 * A worker thread of a data-parallel run died or failed a request (out of memory, killed). The
 * step it was computing was not applied: the model, the ledger and the random streams are as
 * they were before it, so a run continues from its last checkpoint.
 */
export class WorkerFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerFailedError';
  }
}
