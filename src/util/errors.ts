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
