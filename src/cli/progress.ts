import type { CliIO } from './io.js';

/**
 * A one-line progress display on stderr: redrawn in place on a terminal, and printed at most
 * every `minSeconds` as plain lines otherwise (logs, CI), so scripts reading stdout see nothing.
 */
export class ProgressLine {
  private last = 0;
  private drawn = false;
  constructor(private readonly io: CliIO, private readonly minSeconds = 10) {}

  /** Show `text`; `force` prints even if the last line was recent. */
  update(text: string, force = false): void {
    const now = performance.now() / 1000;
    if (this.io.interactive) {
      if (!force && now - this.last < 0.1) return;
      this.io.err(`\r\x1b[2K${text}`);
      this.drawn = true;
    } else {
      if (!force && now - this.last < this.minSeconds) return;
      this.io.err(`${text}\n`);
    }
    this.last = now;
  }

  /** End the in-place line so that the next output starts on a fresh line. */
  done(): void {
    if (this.drawn) this.io.err('\n');
    this.drawn = false;
  }
}

/** A text bar like "[#####-----] 50%". */
export function bar(fraction: number, width = 20): string {
  const f = Math.max(0, Math.min(1, fraction));
  const n = Math.round(f * width);
  return `[${'#'.repeat(n)}${'-'.repeat(width - n)}] ${(f * 100).toFixed(0).padStart(3)}%`;
}
