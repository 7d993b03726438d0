import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { bufferIO } from '../../src/cli/io.js';

describe('CLI program', () => {
  it('--help exits 0 and describes units', async () => {
    const io = bufferIO();
    expect(await runCli(['--help'], io)).toBe(0);
    expect(io.stdout()).toContain('Usage: dp-canary');
    expect(io.stdout()).toContain('epsilon in nats');
  });

  it('an unknown flag is one line on stderr and exit code 2', async () => {
    const io = bufferIO();
    expect(await runCli(['--no-such-flag'], io)).toBe(2);
    expect(io.stderr()).toContain("unknown option '--no-such-flag'");
    expect(io.stderr()).not.toMatch(/\n\s+at /);
    expect(io.stderr().trimEnd().split('\n')).toHaveLength(1);
  });

  it('a misspelt subcommand flag gets its suggestion on the same single line', async () => {
    const io = bufferIO();
    expect(await runCli(['train', '--out', 'x', '--epoch', '3'], io)).toBe(2);
    expect(io.stderr().trimEnd().split('\n')).toHaveLength(1);
    expect(io.stderr()).toContain('--epochs');
  });
});
