import { describe, expect, it } from 'vitest';
import { buildGrid, PRESET_NAMES, resolveStudyConfig, studyGrid } from '../../src/study/grid.js';
import { POINT_ID, validateStudyPoint } from '../../src/study/json.js';
import { parseFormat } from '../../src/canary/format.js';
import { UserError } from '../../src/util/errors.js';
import type { StudyPoint } from '../../src/study/types.js';

const SHARED_KEYS = Object.keys(resolveStudyConfig('quick').shared);

describe('study grid', () => {
  for (const preset of PRESET_NAMES) {
    it(`preset ${preset}: one point per mitigation strength and seed, plain JSON, shared settings equal`, () => {
      const cfg = resolveStudyConfig(preset);
      const points = buildGrid(cfg);
      const a = cfg.axes;
      const perSeed = a.mitigations.reduce(
        (n, m) => n + (m === 'dp' ? a.dpEpsilons.length : m === 'dropout' ? a.dropoutRates.length : m === 'weight-decay' ? a.weightDecays.length : 1),
        0,
      );
      expect(points.length).toBe(perSeed * a.seeds.length);
      expect(new Set(points.map((p) => p.id)).size).toBe(points.length);
      for (const p of points) {
        expect(p.id).toMatch(POINT_ID);
        expect(p.id.endsWith(`-seed${p.seed}`)).toBe(true);
        expect(JSON.parse(JSON.stringify(p))).toEqual(p);
        expect(() => validateStudyPoint(JSON.parse(JSON.stringify(p)), 'test')).not.toThrow();
        for (const k of SHARED_KEYS) expect(p[k as keyof StudyPoint]).toEqual(cfg.shared[k as keyof typeof cfg.shared]);
        expect(p.targetEpsilon !== undefined).toBe(p.mitigation === 'dp');
        expect(p.dropout > 0).toBe(p.mitigation === 'dropout');
        expect(p.weightDecay > 0).toBe(p.mitigation === 'weight-decay');
      }
      const mitigations = new Set(points.map((p) => p.mitigation));
      expect([...mitigations].sort()).toEqual(['dp', 'dropout', 'none', 'sanitize', 'weight-decay']);
      const eps = points.filter((p) => p.mitigation === 'dp').map((p) => p.targetEpsilon!);
      expect(new Set(eps)).toEqual(new Set(a.dpEpsilons));
    });
  }

  it('ids say what the point is', () => {
    const ids = studyGrid('default').map((p) => p.id);
    expect(ids).toContain('dp-eps3-seed1');
    expect(ids).toContain('none-seed1');
    expect(ids).toContain('sanitize-seed1');
  });

  it('presets grow from quick to default to paper; paper uses 9-digit secrets', () => {
    const [q, d, p] = (['quick', 'default', 'paper'] as const).map((n) => resolveStudyConfig(n).shared);
    expect(q!.corpusMaxChars * q!.epochs).toBeLessThan(d!.corpusMaxChars * d!.epochs);
    expect(d!.hiddenSize).toBeLessThan(p!.hiddenSize);
    expect(parseFormat(p!.canaryFormat).length).toBe(9);
    expect(parseFormat(p!.canaryFormat).alphabetName).toBe('digits');
    expect(resolveStudyConfig('default').axes.dpEpsilons.some((e) => e >= 100)).toBe(true);
  });

  it('applies overrides and rejects bad ones with UserErrors', () => {
    const pts = studyGrid('quick', { seeds: [1, 2], dpEpsilons: [0.5, 2], insertions: [2, 32] });
    expect(pts.filter((p) => p.mitigation === 'dp').map((p) => p.id)).toEqual(['dp-eps0.5-seed1', 'dp-eps0.5-seed2', 'dp-eps2-seed1', 'dp-eps2-seed2']);
    expect(pts.every((p) => p.insertions.join() === '2,32')).toBe(true);
    expect(studyGrid('quick', { mitigations: ['none', 'dp'] }).map((p) => p.mitigation)).toEqual(['none', 'dp']);
    const bad: Record<string, unknown>[] = [
      { bogus: 1 },
      { dpEpsilons: [] },
      { dpEpsilons: [-1] },
      { dropoutRates: [1] },
      { seeds: [1, 1] },
      { insertions: [0] },
      { canaryFormat: 'no slot here' },
      { canaryFormat: 'open {digits:3' },
      { canaryFormat: 'the number {***}' },
      { validationFraction: 1 },
      { delta: 0 },
      { mitigations: ['magic'] },
    ];
    for (const o of bad) expect(() => studyGrid('quick', o as never), JSON.stringify(o)).toThrow(UserError);
    expect(() => resolveStudyConfig('huge' as never)).toThrow(UserError);
  });
});
