import { describe, expect, it } from 'vitest';
import { buildGrid, PRESET_NAMES, publicPointFor, recipeOf, resolveStudyConfig, studyGrid } from '../../src/study/grid.js';
import { POINT_ID, validateStudyPoint } from '../../src/study/json.js';
import { parseFormat } from '../../src/canary/format.js';
import { InvalidArgumentError } from '../../src/util/errors.js';
import type { StudyPoint } from '../../src/study/types.js';

const SHARED_KEYS = Object.keys(resolveStudyConfig('quick').shared);

describe('study grid', () => {
  for (const preset of PRESET_NAMES) {
    it(`preset ${preset}: one point per mode, mitigation strength and seed (+ the public model), plain JSON, shared settings equal`, () => {
      const cfg = resolveStudyConfig(preset);
      const points = buildGrid(cfg);
      const a = cfg.axes;
      const perSeed = (ms: readonly string[], eps: readonly number[]): number =>
        ms.reduce((n, m) => n + (m === 'dp' ? dpPoints(eps) : m === 'dropout' ? a.dropoutRates.length : m === 'weight-decay' ? a.weightDecays.length : 1), 0);
      // One DP point per privacy unit and epsilon; window points only at windowDpEpsilons when given.
      const dpPoints = (eps: readonly number[]): number =>
        (a.privacyUnits ?? ['window']).reduce((n, u) => n + (u === 'window' && a.windowDpEpsilons ? eps.filter((e) => a.windowDpEpsilons!.includes(e)).length : eps.length), 0);
      const fineTune = a.modes.includes('fine-tune') ? perSeed(a.mitigations, a.dpEpsilons) * a.seeds.length + 1 : 0;
      const scratch = a.modes.includes('scratch') ? perSeed(a.scratchMitigations ?? a.mitigations, a.scratchDpEpsilons ?? a.dpEpsilons) * a.seeds.length : 0;
      expect(points.length).toBe(fineTune + scratch);
      expect(new Set(points.map((p) => p.id)).size).toBe(points.length);
      const recipeKeys = new Set(['batchSize', 'learningRate', 'epochs', 'clip', 'exposureEachEpoch']);
      for (const p of points) {
        expect(p.id).toMatch(POINT_ID);
        if (p.mode !== 'public') expect(p.id.endsWith(`-seed${p.seed}`)).toBe(true);
        expect(p.id.startsWith('ft-')).toBe(p.mode === 'fine-tune');
        expect(p.initFromPoint !== undefined).toBe(p.mode === 'fine-tune');
        expect(JSON.parse(JSON.stringify(p))).toEqual(p);
        expect(() => validateStudyPoint(JSON.parse(JSON.stringify(p)), 'test')).not.toThrow();
        for (const k of SHARED_KEYS) if (!recipeKeys.has(k)) expect(p[k as keyof StudyPoint]).toEqual(cfg.shared[k as keyof typeof cfg.shared]);
        // Each point trains with its own recipe.
        const r = recipeOf(cfg.shared, p.mode, p.mitigation, p.privacyUnit);
        expect({ batchSize: p.batchSize, learningRate: p.learningRate, epochs: p.epochs, clip: p.clip }).toEqual(r);
        expect(p.targetEpsilon !== undefined).toBe(p.mitigation === 'dp');
        expect(p.dropout > 0).toBe(p.mitigation === 'dropout');
        expect(p.weightDecay > 0).toBe(p.mitigation === 'weight-decay');
      }
      const mitigations = new Set(points.map((p) => p.mitigation));
      // Every mitigation of the preset's axes has its points (the e-mail presets hold none and dp only).
      expect([...mitigations].sort()).toEqual([...a.mitigations].sort());
      const eps = points.filter((p) => p.mitigation === 'dp').map((p) => p.targetEpsilon!);
      expect(new Set(eps)).toEqual(new Set([...a.dpEpsilons, ...(a.scratchDpEpsilons ?? [])]));
      // Fine-tune points start from the public point, which comes first.
      const pub = points.findIndex((p) => p.mode === 'public');
      for (const [i, p] of points.entries()) if (p.mode === 'fine-tune') expect(points[pub]!.id === p.initFromPoint && pub < i).toBe(true);
    });
  }

  it('the e-mail preset: no DP, DP per window at 8, DP per user at 8 and 3, all fine-tuned; per-user points take the per-unit recipe', () => {
    const pts = studyGrid('email');
    expect(pts.map((p) => p.id)).toEqual(['public', 'ft-none-seed1', 'ft-dp-eps8-seed1', 'ft-dp-eps8-user-seed1', 'ft-dp-eps3-user-seed1']);
    const cfg = resolveStudyConfig('email');
    const user = pts.find((p) => p.id === 'ft-dp-eps8-user-seed1')!;
    expect(user.privacyUnit).toBe('user');
    expect(user.batchSize).toBe(cfg.shared.fineTuneUnitDpRecipe!.batchSize);
    expect(pts.find((p) => p.id === 'ft-dp-eps8-seed1')!.batchSize).toBe(cfg.shared.fineTuneDpRecipe.batchSize);
    expect(pts.every((p) => p.dataUnit === 'user' && p.naturalSecrets === true)).toBe(true);
  });

  it('the default preset runs every mitigation fine-tuned and at least no mitigation and DP at epsilon 8 from scratch', () => {
    const pts = studyGrid('default');
    const ids = pts.map((p) => p.id);
    expect(ids).toEqual(expect.arrayContaining(['public', 'ft-none-seed1', 'ft-dp-eps8-seed1', 'ft-sanitize-seed1', 'none-seed1', 'dp-eps8-seed1']));
    const dp = pts.find((p) => p.id === 'dp-eps8-seed1')!;
    const none = pts.find((p) => p.id === 'none-seed1')!;
    // DP has a recipe of its own: a larger batch than the non-private one.
    expect(dp.batchSize).toBeGreaterThan(none.batchSize);
    expect(publicPointFor(pts.find((p) => p.id === 'ft-dp-eps8-seed1')!)).toEqual(pts.find((p) => p.id === 'public'));
  });

  it('ids say what the point is', () => {
    const ids = studyGrid('default', { modes: ['scratch'], mitigations: ['none', 'dp', 'dropout', 'weight-decay', 'sanitize'] }).map((p) => p.id);
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

  it('applies overrides and rejects bad ones with InvalidArgumentErrors', () => {
    const pts = studyGrid('quick', { seeds: [1, 2], dpEpsilons: [0.5, 2], insertions: [2, 32], modes: ['scratch'] });
    expect(pts.filter((p) => p.mitigation === 'dp').map((p) => p.id)).toEqual(['dp-eps0.5-seed1', 'dp-eps0.5-seed2', 'dp-eps2-seed1', 'dp-eps2-seed2']);
    expect(pts.every((p) => p.insertions.join() === '2,32')).toBe(true);
    expect(studyGrid('quick', { mitigations: ['none', 'dp'], modes: ['scratch'] }).map((p) => p.mitigation)).toEqual(['none', 'dp']);
    // A grid given explicitly applies to both modes.
    expect(studyGrid('quick', { mitigations: ['none', 'dp'] }).map((p) => p.id)).toEqual(['public', 'ft-none-seed1', 'ft-dp-eps8-seed1', 'none-seed1', 'dp-eps8-seed1']);
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
      { modes: [] },
      { modes: ['sideways'] },
      { dpRecipe: { batchSize: 0, learningRate: 0.1, epochs: 1, clip: 1 } },
      { fineTuneDpRecipe: { batchSize: 64, learningRate: -1, epochs: 1, clip: 1 } },
      { physicalBatchSize: 0 },
      { accountant: 'moments' },
      { auditCanaries: 0 },
    ];
    for (const o of bad) expect(() => studyGrid('quick', o as never), JSON.stringify(o)).toThrow(InvalidArgumentError);
    expect(() => resolveStudyConfig('huge' as never)).toThrow(InvalidArgumentError);
  });
});

describe('privacy units in a study', () => {
  it('without units the grid is as before: no point carries a unit setting', () => {
    for (const p of studyGrid('quick')) {
      for (const k of ['privacyUnit', 'dataUnit', 'unitWindows', 'userMap', 'userPattern']) expect(k in p, `${p.id} ${k}`).toBe(false);
    }
  });

  it('one DP point per unit at every epsilon, the data of every point grouped by the larger unit', () => {
    const cfg = resolveStudyConfig('quick', { privacyUnits: ['window', 'user'], userPattern: '^(\\w+)/', unitWindows: 2 });
    expect(cfg.shared.dataUnit).toBe('user');
    const points = buildGrid(cfg);
    const plain = studyGrid('quick');
    const dp = points.filter((p) => p.mitigation === 'dp');
    expect(dp.length).toBe(2 * plain.filter((p) => p.mitigation === 'dp').length);
    expect(points.find((p) => p.id === 'dp-eps8-seed1')!.privacyUnit).toBeUndefined();
    expect(points.find((p) => p.id === 'dp-eps8-user-seed1')!.privacyUnit).toBe('user');
    expect(points.find((p) => p.id === 'ft-dp-eps8-user-seed1')!.privacyUnit).toBe('user');
    for (const p of points) {
      expect(p.dataUnit, p.id).toBe('user');
      expect(p.unitWindows).toBe(2);
      expect(() => validateStudyPoint(JSON.parse(JSON.stringify(p)), 'test')).not.toThrow();
      if (p.mode === 'fine-tune') expect(publicPointFor(p)).toEqual(points.find((x) => x.mode === 'public'));
    }
  });

  it.each([
    [{ privacyUnits: ['document', 'user'] }, /groups its data one way/],
    [{ privacyUnits: ['person'] }, /privacy units must be/],
    [{ privacyUnits: ['user'], dataUnit: 'document' }, /needs the data grouped by user/],
    [{ privacyUnits: ['user'], auditCanaries: 10 }, /audit is per window/],
    [{ unitWindows: 0 }, /--unit-windows must be an integer >= 1/],
  ])('refuses %j', (over, message) => {
    expect(() => resolveStudyConfig('quick', over as never)).toThrow(InvalidArgumentError);
    expect(() => resolveStudyConfig('quick', over as never)).toThrow(message);
  });

  it('a point file may not give a non-private point a unit larger than a window', () => {
    const p = studyGrid('quick').find((x) => x.mitigation === 'none')!;
    expect(() => validateStudyPoint({ ...p, privacyUnit: 'user' }, 'job')).toThrow(/only for dp points/);
  });
});
