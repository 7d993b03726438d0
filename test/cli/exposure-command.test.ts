import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { bufferIO } from '../../src/cli/io.js';
import { interpolationExposure, MIN_REFERENCES } from '../../src/canary/estimate.js';
import { seededRandom } from '../../src/util/random.js';

const dir = mkdtempSync(join(tmpdir(), 'dp-canary-exposure-'));
let fileNo = 0;
function file(content: unknown): string {
  const p = join(dir, `scores-${fileNo++}.json`);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}

function references(n: number): number[] {
  const rng = seededRandom('cli-references');
  const u = new Float64Array(2 * n);
  rng.fillNormal(u);
  // Skew-normal with delta 0.7 around 30 bits.
  return Array.from({ length: n }, (_, i) => 30 + 3 * (0.7 * Math.abs(u[2 * i]!) + Math.sqrt(0.51) * u[2 * i + 1]!));
}

const REFS = references(400);
const GOOD = { canaries: { c1: [12.5, 31, 45], 'c-2': [29] }, reference: REFS };

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = bufferIO();
  const code = await runCli(argv, io);
  return { code, out: io.stdout(), err: io.stderr() };
}

describe('dp-canary exposure --scores', () => {
  it('--json prints the documented shape with arrays in input order', async () => {
    const r = await run(['exposure', '--scores', file(GOOD), '--json']);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    const out = JSON.parse(r.out) as {
      reference: { count: number; skewNormal: { shape: number; location: number; scale: number } };
      exposures: Record<string, { interpolation: number[]; extrapolation: number[] }>;
    };
    expect(Object.keys(out).sort()).toEqual(['exposures', 'reference']);
    expect(out.reference.count).toBe(400);
    expect(Object.keys(out.reference.skewNormal).sort()).toEqual(['location', 'scale', 'shape']);
    expect(out.reference.skewNormal.shape).toBeGreaterThan(0);
    expect(Object.keys(out.exposures)).toEqual(['c1', 'c-2']);
    expect(out.exposures['c1']!.interpolation).toEqual([12.5, 31, 45].map((b) => interpolationExposure(REFS, b)));
    expect(out.exposures['c1']!.extrapolation.length).toBe(3);
    // A lower log-perplexity means a higher exposure.
    const ex = out.exposures['c1']!.extrapolation;
    expect(ex[0]!).toBeGreaterThan(ex[1]!);
    expect(ex[1]!).toBeGreaterThan(ex[2]!);
  });

  it('--canary selects one canary; the text report names it', async () => {
    const r = await run(['exposure', '--scores', file(GOOD), '--canary', 'c-2', '--json']);
    expect(r.code).toBe(0);
    expect(Object.keys((JSON.parse(r.out) as { exposures: object }).exposures)).toEqual(['c-2']);
    const t = await run(['exposure', '--scores', file(GOOD)]);
    expect(t.code).toBe(0);
    expect(t.out).toContain('skew-normal');
    expect(t.out).toContain('c-2');
  });

  it("small reference sets (TF Privacy's secret_sharer example, 16 references): exit 0, extrapolation flagged", async () => {
    const tfp = file({ canaries: { '1': [0, 0.1], '2': [20], '5': [3.5] }, reference: Array.from({ length: 16 }, (_, i) => i + 1) });
    const r = await run(['exposure', '--scores', tfp, '--json']);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    const out = JSON.parse(r.out) as { exposures: Record<string, { interpolation: number[]; extrapolation: number[] | null }>; warning: string };
    expect(out.exposures['1']!.interpolation).toEqual([4, 4]);
    expect(out.exposures['5']!.interpolation).toEqual([2]);
    expect(out.exposures['2']!.extrapolation).toHaveLength(1);
    expect(out.warning).toMatch(new RegExp(`16 reference scores \\(fewer than ${MIN_REFERENCES}\\) is unreliable`));
    // Without --json the warning is one line on stderr and the table is on stdout.
    const t = await run(['exposure', '--scores', tfp]);
    expect(t.code).toBe(0);
    expect(t.err.trimEnd().split('\n')).toHaveLength(1);
    expect(t.err).toMatch(/warning: .*unreliable/);
    expect(t.out).toContain('skew-normal fit');
    // Two references: interpolation only; extrapolation null with the reason.
    const two = await run(['exposure', '--scores', file({ canaries: { a: [1.5] }, reference: [1, 2] }), '--json']);
    expect(two.code).toBe(0);
    const o2 = JSON.parse(two.out) as { exposures: { a: { interpolation: number[]; extrapolation: null } }; reference: { skewNormal: null }; warning: string };
    expect(o2.exposures.a.interpolation).toEqual([Math.log2(2) - Math.log2(2)]);
    expect(o2.exposures.a.extrapolation).toBeNull();
    expect(o2.reference.skewNormal).toBeNull();
    expect(o2.warning).toMatch(/not computed.*got 2/);
    const t2 = await run(['exposure', '--scores', file({ canaries: { a: [1.5] }, reference: [1, 2] })]);
    expect(t2.code).toBe(0);
    expect(t2.out).toMatch(/a\s+1\.500\s+0\.000\s+-/);
  });

  it('each bad input is one stderr line and exit 2', async () => {
    const bad: Array<[string[], RegExp]> = [
      [['exposure', '--scores', join(dir, 'missing.json')], /cannot read scores file .*ENOENT/],
      [['exposure', '--scores', file('{not json')], /not valid JSON/],
      [['exposure', '--scores', file([1, 2])], /JSON object/],
      [['exposure', '--scores', file({ canaries: { a: [1, 'x'] }, reference: REFS })], /canaries\["a"\]\[1\] must be a finite number/],
      [['exposure', '--scores', file({ canaries: { a: [1] }, reference: [...REFS, null] })], /"reference"\[400\] must be a finite number/],
      [['exposure', '--scores', file('{"canaries": {"a": [1e999]}, "reference": [1]}')], /finite/],
      [['exposure', '--scores', file({ canaries: {}, reference: REFS })], /empty/],
      [['exposure', '--scores', file({ canaries: { a: [1] } })], /"reference" must be an array/],
      [['exposure', '--scores', file({ canaries: { a: [1] }, reference: [] })], /at least one reference/],
      [['exposure', '--scores', file(GOOD), '--canary', 'nope'], /no canary named 'nope'/],
      [['exposure'], /needs --scores/],
    ];
    for (const [argv, re] of bad) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toMatch(re);
      expect(r.err.trimEnd().split('\n').length).toBe(1);
      expect(r.out).toBe('');
    }
  });
});
