import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

// The README's "Library use" examples, run as a user runs them (node, importing the BUILT
// package through its exports), with small settings where they train.
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = async (file: string, args: string[] = []): Promise<string> =>
  (await promisify(execFile)(process.execPath, [join(root, 'examples', file), ...args], { cwd: root, encoding: 'utf8', timeout: 590_000 })).stdout;

describe('examples/', () => {
  it('accountant.mjs reproduces TF Privacy\'s MNIST epsilon', async () => {
    const out = await run('accountant.mjs');
    expect(out).toContain('epsilon = 2.5967 at delta = 0.00001');
    const sigma = Number(/for epsilon 3: sigma = ([\d.]+)/.exec(out)![1]);
    expect(sigma).toBeGreaterThan(0.9);
    expect(sigma).toBeLessThan(1.1); // 1.1 gives 2.60 < 3, so a bit less noise
  });

  it('mnist.mjs trains an MLP without DP and a CNN with DP on the mnist package digits', async () => {
    const plain = await run('mnist.mjs', ['--model', 'mlp', '--train', '600', '--test', '300', '--epochs', '2', '--batch', '50', '--no-dp']);
    const acc = Number(/held-out accuracy ([\d.]+)% on 300 digits, epsilon infinity/.exec(plain)![1]);
    expect(acc).toBeGreaterThan(50); // chance is 10%
    const dp = await run('mnist.mjs', ['--model', 'cnn', '--train', '256', '--test', '128', '--epochs', '1', '--batch', '64', '--epsilon', '3']);
    const eps = Number(/cnn DP-SGD \(sigma [\d.]+, clip 1\): held-out accuracy [\d.]+% on 128 digits, epsilon ([\d.]+)/.exec(dp)![1]);
    expect(eps).toBeLessThanOrEqual(3);
    expect(eps).toBeGreaterThan(2.5);
  }, 600_000);

  it('gpt.mjs trains a GPT built from the exported transformer layers with fitPrivately', async () => {
    const out = await run('gpt.mjs');
    const m = /GPT DP-SGD \(sigma 0\.8, clip 1\): loss ([\d.]+) -> ([\d.]+), accuracy [\d.]+%, epsilon ([\d.]+) at delta/.exec(out);
    expect(m, out).not.toBeNull();
    expect(out).toContain('(fast per-example clipping)');
    expect(Number(m![2])).toBeLessThan(0.75 * Number(m![1]));
    expect(Number(m![3])).toBeGreaterThan(0);
  }, 600_000);

  it('exposure.mjs measures a memorized canary in a user-built LSTM', async () => {
    const out = await run('exposure.mjs');
    const plain = /no DP \(epsilon infinity\): .* has rank (\d+) of 1000, exposure ([\d.]+) bits/.exec(out);
    const dp = /DP-SGD \(epsilon ([\d.]+)\): .* has rank (\d+) of 1000, exposure ([\d.]+) bits/.exec(out);
    expect(plain).not.toBeNull();
    expect(dp).not.toBeNull();
    // Inserted 15 times and trained to fit, the canary is among the model's most likely secrets.
    expect(Number(plain![1])).toBeLessThanOrEqual(10);
  }, 600_000);
});
