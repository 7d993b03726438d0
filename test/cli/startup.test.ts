import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { bufferIO } from '../../src/cli/io.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const program = join(root, 'dist', 'src', 'cli', 'program.js');

/**
 * Runs the built CLI in a fresh Node process and reports whether TensorFlow.js was loaded:
 * tfjs-core keeps its engine on the global object, and its Node build is CommonJS, so it also
 * shows in the require cache.
 */
function loadsTfjs(argv: string[]): { code: number; tfjs: boolean } {
  const script = `
    import { createRequire } from 'node:module';
    const { runCli } = await import(${JSON.stringify(program)});
    const io = { out() {}, err() {}, interactive: false };
    const code = await runCli(${JSON.stringify(argv)}, io);
    const cached = Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('@tensorflow'));
    process.stdout.write(JSON.stringify({ code, tfjs: cached || '_tfengine' in globalThis }));
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
  return JSON.parse(out) as { code: number; tfjs: boolean };
}

describe('CLI start-up', () => {
  it('the accountant commands and exposure --scores never load tfjs; a training command does', () => {
    expect(loadsTfjs(['epsilon', '--sampling-rate', '0.01', '--noise-multiplier', '1.1', '--steps', '100', '--delta', '1e-5'])).toEqual({ code: 0, tfjs: false });
    expect(loadsTfjs(['calibrate', '--target-epsilon', '3', '--sampling-rate', '0.01', '--steps', '100', '--delta', '1e-5'])).toEqual({ code: 0, tfjs: false });
    expect(loadsTfjs(['rdp', '--sampling-rate', '0.01', '--noise-multiplier', '1.1', '--steps', '1', '--orders', '2,32'])).toEqual({ code: 0, tfjs: false });
    const scores = join(mkdtempSync(join(tmpdir(), 'dpc-startup-')), 'scores.json');
    writeFileSync(scores, JSON.stringify({ canaries: { a: [1] }, reference: [0.5, 2, 3, 4] }));
    expect(loadsTfjs(['exposure', '--scores', scores, '--json'])).toEqual({ code: 0, tfjs: false });
    // The probe itself can see tfjs: `train --help` registers train, which imports the engine.
    expect(loadsTfjs(['train', '--help'])).toEqual({ code: 0, tfjs: true });
  });

  it('top-level --help still lists every command; --version is the one in package.json', async () => {
    const io = bufferIO();
    expect(await runCli(['--help'], io)).toBe(0);
    for (const name of ['study', 'train', 'epsilon', 'calibrate', 'rdp', 'exposure', 'extract']) expect(io.stdout()).toMatch(new RegExp(`^  ${name} `, 'm'));
    const v = bufferIO();
    expect(await runCli(['--version'], v)).toBe(0);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    expect(v.stdout().trim()).toBe(pkg.version);
  });

  it('a misspelt command is still one line with a suggestion and exit 2', async () => {
    const io = bufferIO();
    expect(await runCli(['epsilom', '--steps', '1'], io)).toBe(2);
    expect(io.stderr().trimEnd().split('\n')).toHaveLength(1);
    expect(io.stderr()).toContain('epsilon');
  });
});
