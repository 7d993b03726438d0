/**
 * A mistake in what the user asked for (a flag value, a file, a format).
 * The CLI turns it into one line on stderr and exit code 2; any other error is a bug.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
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
