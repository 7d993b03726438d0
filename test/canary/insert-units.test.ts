import { describe, expect, it } from 'vitest';
import { parseFormat } from '../../src/canary/format.js';
import { generateCanaries } from '../../src/canary/generate.js';
import { insertCanariesInUnits, type LinesUnit } from '../../src/canary/insert-units.js';
import { InvalidArgumentError } from '../../src/util/errors.js';
import { seededRandom } from '../../src/util/random.js';

const format = parseFormat('my pin is {digits:4}');
const units: LinesUnit[] = [
  { key: 'small', lines: ['s1', 's2'] },
  { key: 'big-1', lines: Array.from({ length: 10 }, (_, i) => `b1 ${i}`) },
  { key: 'mid', lines: Array.from({ length: 5 }, (_, i) => `m ${i}`) },
  { key: 'big-2', lines: Array.from({ length: 12 }, (_, i) => `b2 ${i}`) },
];

describe('canaries in units', () => {
  it('puts all r copies of a canary into one unit with >= r lines, keeps each unit\'s own lines in order, and records the unit', () => {
    for (let seed = 0; seed < 30; seed++) {
      const random = seededRandom(`ins-${seed}`);
      const canaries = generateCanaries(format, [8, 1, 4], random);
      const r = insertCanariesInUnits(units, format, canaries, random.fork('insert'));
      const all = r.units.flat();
      expect(r.manifest.corpusUnits).toBe(all.length);
      r.manifest.canaries.forEach((c) => {
        const u = units.findIndex((x) => x.key === c.unit);
        expect(units[u]!.lines.length).toBeGreaterThanOrEqual(c.insertions);
        expect(r.units[u]!.filter((l) => l === c.text)).toHaveLength(c.insertions);
        expect(all.filter((l) => l === c.text)).toHaveLength(c.insertions);
        for (const p of c.positions) expect(all[p]).toBe(c.text);
      });
      // Distinct units while there are enough big ones.
      expect(new Set(r.manifest.canaries.map((c) => c.unit)).size).toBe(3);
      r.units.forEach((lines, u) => expect(lines.filter((l) => !l.startsWith('my pin'))).toEqual(units[u]!.lines));
    }
  });

  it('chooses the unit uniformly among those big enough', () => {
    const counts = new Map<string, number>();
    const n = 3000;
    for (let i = 0; i < n; i++) {
      const random = seededRandom(`uniform-${i}`);
      const r = insertCanariesInUnits(units, format, generateCanaries(format, [5], random), random);
      const key = r.manifest.canaries[0]!.unit!;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(['big-1', 'big-2', 'mid']);
    const chi2 = [...counts.values()].reduce((a, c) => a + (c - n / 3) ** 2 / (n / 3), 0);
    expect(chi2).toBeLessThan(13.8); // 2 degrees of freedom, p = 0.001
  });

  it('honours bigEnough, and says so in one line when no unit is big enough', () => {
    const random = seededRandom('none');
    const canaries = generateCanaries(format, [3], random);
    const r = insertCanariesInUnits(units, format, canaries, random, { bigEnough: (u) => u === 2 });
    expect(r.manifest.canaries[0]!.unit).toBe('mid');
    expect(() => insertCanariesInUnits(units, format, generateCanaries(format, [13], random), random)).toThrow(InvalidArgumentError);
    expect(() => insertCanariesInUnits(units, format, generateCanaries(format, [13], random), random)).toThrow(/no unit is big enough .* inserted 13 times .* the largest has 12/);
  });
});
