/** Where a command writes: the real process streams, or a buffer in tests. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  /** True when stderr is an interactive terminal (progress bars only then). */
  readonly interactive: boolean;
}

export const processIO: CliIO = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
  interactive: Boolean(process.stderr.isTTY),
};

/** Collects output in memory; for tests that run the CLI in-process. */
export function bufferIO(): CliIO & { stdout(): string; stderr(): string } {
  let o = '';
  let e = '';
  return {
    out: (t) => void (o += t),
    err: (t) => void (e += t),
    interactive: false,
    stdout: () => o,
    stderr: () => e,
  };
}
