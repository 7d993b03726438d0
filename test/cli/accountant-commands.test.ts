import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { bufferIO } from '../../src/cli/io.js';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = bufferIO();
  const code = await runCli(argv, io);
  return { code, out: io.stdout(), err: io.stderr() };
}

async function json(argv: string[]): Promise<Record<string, unknown>> {
  const r = await run(argv);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  const lines = r.out.trim().split('\n');
  expect(lines.length).toBe(1);
  return JSON.parse(lines[0]!) as Record<string, unknown>;
}

const MNIST_QT = ['--sampling-rate', String(256 / 60000), '--steps', '14063', '--noise-multiplier', '1.1'];
const MNIST_NBE = ['--dataset-size', '60000', '--batch-size', '256', '--epochs', '60', '--noise-multiplier', '1.1'];

describe('dp-canary epsilon', () => {
  it('--json has the documented shape and the TF Privacy MNIST value', async () => {
    const o = await json(['epsilon', ...MNIST_QT, '--delta', '1e-5', '--json']);
    expect(Object.keys(o).sort()).toEqual(['accountant', 'delta', 'epsilon', 'noiseMultiplier', 'order', 'samplingRate', 'steps'].sort());
    expect(o['accountant']).toBe('rdp');
    expect(o['delta']).toBe(1e-5);
    expect(o['steps']).toBe(14063);
    expect(o['noiseMultiplier']).toBe(1.1);
    expect(typeof o['order']).toBe('number');
    expect(Math.abs((o['epsilon'] as number) - 2.5967)).toBeLessThan(5e-4);
  });

  it('the --dataset-size/--batch-size/--epochs form equals the q/T form', async () => {
    const a = await json(['epsilon', ...MNIST_QT, '--delta', '1e-5', '--json']);
    const b = await json(['epsilon', ...MNIST_NBE, '--delta', '1e-5', '--json']);
    expect(b).toEqual(a);
  });

  it('--epsilon reports delta, consistent with --delta', async () => {
    const a = await json(['epsilon', ...MNIST_QT, '--delta', '1e-5', '--json']);
    const b = await json(['epsilon', ...MNIST_QT, '--epsilon', String(a['epsilon']), '--json']);
    expect(Object.keys(b).sort()).toEqual(['accountant', 'delta', 'epsilon', 'noiseMultiplier', 'order', 'samplingRate', 'steps'].sort());
    expect(b['delta'] as number).toBeLessThanOrEqual(1e-5 * (1 + 1e-9));
    expect(b['delta'] as number).toBeGreaterThan(0.99e-5);
  });

  it('infinite epsilon is the string "Infinity"', async () => {
    const o = await json(['epsilon', '--sampling-rate', '0.1', '--steps', '10', '--noise-multiplier', '0', '--delta', '1e-5', '--json']);
    expect(o['epsilon']).toBe('Infinity');
  });

  it('human output says nats, the order, Poisson sampling and add/remove adjacency', async () => {
    const r = await run(['epsilon', ...MNIST_NBE, '--delta', '1e-5']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/epsilon = 2\.59\d\d \(nats\)/);
    expect(r.out).toContain('order');
    expect(r.out).toContain('Poisson');
    expect(r.out).toContain('add/remove');
  });

  it('--help explains units', async () => {
    const r = await run(['epsilon', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('nats');
    expect(r.out).toContain('--dataset-size');
  });
});

describe('dp-canary calibrate', () => {
  it('--json shape; the reached epsilon is within the target; N/B/E form agrees', async () => {
    const o = await json(['calibrate', '--target-epsilon', '2', '--sampling-rate', String(256 / 60000), '--steps', '14063', '--delta', '1e-5', '--json']);
    expect(o['accountant']).toBe('rdp');
    expect(o['epsilon'] as number).toBeLessThanOrEqual(2);
    expect((2 - (o['epsilon'] as number)) / 2).toBeLessThan(1e-6);
    expect(o['noiseMultiplier'] as number).toBeGreaterThan(1.1);
    const b = await json(['calibrate', '--target-epsilon', '2', '--dataset-size', '60000', '--batch-size', '256', '--epochs', '60', '--delta', '1e-5', '--json']);
    expect(b).toEqual(o);
    // Feeding sigma back to `epsilon` gives the same epsilon.
    const e = await json(['epsilon', '--sampling-rate', String(256 / 60000), '--steps', '14063', '--noise-multiplier', String(o['noiseMultiplier']), '--delta', '1e-5', '--json']);
    expect(e['epsilon']).toBe(o['epsilon']);
  });
});

describe('dp-canary rdp', () => {
  it('--json gives {orders, rdp}; q = 1 is alpha / (2 sigma^2); steps multiply', async () => {
    const o = await json(['rdp', '--sampling-rate', '1', '--noise-multiplier', '2', '--orders', '1.5,2,32', '--json']);
    expect(Object.keys(o).sort()).toEqual(['orders', 'rdp']);
    expect(o['orders']).toEqual([1.5, 2, 32]);
    const rdp = o['rdp'] as number[];
    [1.5, 2, 32].forEach((a, i) => expect(Math.abs(rdp[i]! - a / 8) / (a / 8)).toBeLessThan(1e-14));
    const t = await json(['rdp', '--sampling-rate', '0.01', '--noise-multiplier', '1', '--steps', '10', '--orders', '2', '--json']);
    const one = await json(['rdp', '--sampling-rate', '0.01', '--noise-multiplier', '1', '--orders', '2', '--json']);
    const r10 = (t['rdp'] as number[])[0]!;
    const r1 = (one['rdp'] as number[])[0]!;
    expect(Math.abs(r10 - 10 * r1) / r10).toBeLessThan(1e-14);
    // q = 0.01, sigma = 1, order 2 in closed form: log(1 + q^2 (e - 1)).
    expect(Math.abs(r1 - Math.log1p(1e-4 * (Math.E - 1))) / r1).toBeLessThan(1e-12);
  });
});

describe('bad input: one stderr line, exit 2, no stack trace', () => {
  const cases: [string, string[]][] = [
    ['q above 1', ['epsilon', '--sampling-rate', '1.5', '--steps', '10', '--noise-multiplier', '1', '--delta', '1e-5']],
    ['q negative', ['epsilon', '--sampling-rate=-0.1', '--steps', '10', '--noise-multiplier', '1', '--delta', '1e-5']],
    ['negative sigma', ['epsilon', '--sampling-rate', '0.1', '--steps', '10', '--noise-multiplier=-1', '--delta', '1e-5']],
    ['non-integer steps', ['epsilon', '--sampling-rate', '0.1', '--steps', '1.5', '--noise-multiplier', '1', '--delta', '1e-5']],
    ['negative steps', ['epsilon', '--sampling-rate', '0.1', '--steps', '-3', '--noise-multiplier', '1', '--delta', '1e-5']],
    ['delta 0', ['epsilon', '--sampling-rate', '0.1', '--steps', '10', '--noise-multiplier', '1', '--delta', '0']],
    ['delta 1', ['epsilon', '--sampling-rate', '0.1', '--steps', '10', '--noise-multiplier', '1', '--delta', '1']],
    ['unknown flag', ['epsilon', '--sampling-rate', '0.1', '--steps', '10', '--noise-multiplier', '1', '--delta', '1e-5', '--bogus']],
    ['missing sigma', ['epsilon', '--sampling-rate', '0.1', '--steps', '10', '--delta', '1e-5']],
    ['missing steps', ['epsilon', '--sampling-rate', '0.1', '--noise-multiplier', '1', '--delta', '1e-5']],
    ['non-number', ['epsilon', '--sampling-rate', 'abc', '--steps', '10', '--noise-multiplier', '1', '--delta', '1e-5']],
    ['both delta and epsilon', ['epsilon', '--sampling-rate', '0.1', '--steps', '10', '--noise-multiplier', '1', '--delta', '1e-5', '--epsilon', '1']],
    ['neither delta nor epsilon', ['epsilon', '--sampling-rate', '0.1', '--steps', '10', '--noise-multiplier', '1']],
    ['mixing q/T with N/B/E', ['epsilon', '--sampling-rate', '0.1', '--steps', '10', '--epochs', '2', '--noise-multiplier', '1', '--delta', '1e-5']],
    ['incomplete N/B/E', ['epsilon', '--dataset-size', '1000', '--batch-size', '10', '--noise-multiplier', '1', '--delta', '1e-5']],
    ['batch larger than dataset', ['epsilon', '--dataset-size', '10', '--batch-size', '100', '--epochs', '1', '--noise-multiplier', '1', '--delta', '1e-5']],
    ['calibrate without target', ['calibrate', '--sampling-rate', '0.1', '--steps', '10', '--delta', '1e-5']],
    ['calibrate zero target', ['calibrate', '--target-epsilon', '0', '--sampling-rate', '0.1', '--steps', '10', '--delta', '1e-5']],
    ['calibrate bad delta', ['calibrate', '--target-epsilon', '1', '--sampling-rate', '0.1', '--steps', '10', '--delta', '2']],
    ['rdp order <= 1', ['rdp', '--sampling-rate', '0.1', '--noise-multiplier', '1', '--orders', '1,2']],
    ['rdp bad order list', ['rdp', '--sampling-rate', '0.1', '--noise-multiplier', '1', '--orders', '2,,3']],
    ['rdp unknown flag', ['rdp', '--sampling-rate', '0.1', '--noise-multiplier', '1', '--order', '2']],
    ['extra argument', ['rdp', 'extra', '--sampling-rate', '0.1', '--noise-multiplier', '1']],
  ];
  for (const [name, argv] of cases) {
    it(name, async () => {
      const r = await run(argv);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      const lines = r.err.trimEnd().split('\n');
      expect(lines.length).toBe(1);
      expect(lines[0]!.length).toBeGreaterThan(10);
      expect(r.err).not.toMatch(/\n\s+at /);
    });
  }
});
