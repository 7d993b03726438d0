import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ORDERS,
  PrivacyLedger,
  ledgerEpsilon,
  calibrateNoise,
  maxStepsForBudget,
  sampledGaussianRdp,
} from '../../src/accountant/index.js';
import { phasesRdp } from '../../src/accountant/accountant.js';
import { InvalidArgumentError } from '../../src/util/errors.js';

describe('PrivacyLedger', () => {
  it('is immutable and merges consecutive equal events', () => {
    const e0 = PrivacyLedger.empty();
    const a = e0.compose({ samplingRate: 0.01, noiseMultiplier: 1, count: 10 });
    const b = a.compose({ samplingRate: 0.01, noiseMultiplier: 1, count: 5 });
    const c = b.compose({ samplingRate: 0.02, noiseMultiplier: 1, count: 3 });
    expect(e0.phases).toEqual([]);
    expect(a.phases).toEqual([{ samplingRate: 0.01, noiseMultiplier: 1, count: 10 }]);
    expect(b.phases).toEqual([{ samplingRate: 0.01, noiseMultiplier: 1, count: 15 }]);
    expect(c.phases.length).toBe(2);
    expect(c.steps).toBe(18);
    expect(Object.isFrozen(c.phases)).toBe(true);
    expect(ledgerEpsilon(e0, 1e-5).epsilon).toBe(0);
  });

  it('heterogeneous phases compose: RDP of the whole is the sum of the parts', () => {
    const phases = [
      { samplingRate: 0.01, noiseMultiplier: 1.5, count: 300 },
      { samplingRate: 0.05, noiseMultiplier: 0.9, count: 40 },
      { samplingRate: 0.002, noiseMultiplier: 3, count: 5000 },
    ];
    let ledger = PrivacyLedger.empty();
    for (const p of phases) ledger = ledger.compose(p);
    const whole = phasesRdp(ledger.phases, DEFAULT_ORDERS);
    const parts = phases.map((p) => sampledGaussianRdp(p.samplingRate, p.noiseMultiplier, DEFAULT_ORDERS, p.count));
    whole.forEach((w, i) => {
      const sum = parts.reduce((s, r) => s + r[i]!, 0);
      expect(w).toBeGreaterThanOrEqual(sum);
      expect((w - sum) / sum).toBeLessThan(1e-14);
    });
    // Composition costs more than any phase alone.
    const alone = ledgerEpsilon(PrivacyLedger.empty().compose(phases[0]!), 1e-5).epsilon;
    expect(ledgerEpsilon(ledger, 1e-5).epsilon).toBeGreaterThan(alone);
  });

  it('round-trips through JSON text exactly', () => {
    const ledger = PrivacyLedger.empty()
      .compose({ samplingRate: 256 / 60000, noiseMultiplier: 1.1, count: 14063 })
      .compose({ samplingRate: 0.1 + 0.2, noiseMultiplier: Math.PI, count: 7 });
    const text = JSON.stringify(ledger);
    const back = PrivacyLedger.fromJSON(JSON.parse(text));
    expect(back.toJSON()).toEqual(ledger.toJSON());
    expect(JSON.stringify(back)).toBe(text);
    expect(ledgerEpsilon(back, 1e-5)).toEqual(ledgerEpsilon(ledger, 1e-5));
    // Events only, no accountant: the issue-10 format.
    expect(JSON.parse(text).accountant).toBeUndefined();
    expect(JSON.parse(text).events[0].kind).toBe('self-composed');
  });

  it('still loads the older {"accountant": "rdp", "events": [{samplingRate, noiseMultiplier, count}]} form', () => {
    const old = {
      accountant: 'rdp',
      events: [
        { samplingRate: 256 / 60000, noiseMultiplier: 1.1, count: 14000 },
        { samplingRate: 256 / 60000, noiseMultiplier: 1.1, count: 63 },
      ],
    };
    const back = PrivacyLedger.fromJSON(JSON.parse(JSON.stringify(old)));
    expect(back.steps).toBe(14063);
    const merged = PrivacyLedger.empty().compose({ samplingRate: 256 / 60000, noiseMultiplier: 1.1, count: 14063 });
    // Two phases of the same mechanism: RDP adds (rounded up a hair), so epsilon agrees to 1e-12.
    expect(Math.abs(ledgerEpsilon(back, 1e-5).epsilon - ledgerEpsilon(merged, 1e-5).epsilon)).toBeLessThan(1e-12);
    expect(PrivacyLedger.fromJSON(back.toJSON()).toJSON()).toEqual(back.toJSON());
  });

  it('rejects malformed JSON with InvalidArgumentError', () => {
    const bad: unknown[] = [
      null,
      [],
      'rdp',
      { accountant: 'pld', events: [] },
      { accountant: 'rdp' },
      { accountant: 'rdp', events: {} },
      { accountant: 'rdp', events: [null] },
      { accountant: 'rdp', events: [{ samplingRate: 0.1, noiseMultiplier: 1 }] },
      { accountant: 'rdp', events: [{ samplingRate: 1.5, noiseMultiplier: 1, count: 1 }] },
      { accountant: 'rdp', events: [{ samplingRate: 0.1, noiseMultiplier: -1, count: 1 }] },
      { accountant: 'rdp', events: [{ samplingRate: 0.1, noiseMultiplier: 1, count: 1.5 }] },
      { accountant: 'rdp', events: [{ samplingRate: 0.1, noiseMultiplier: 1, count: 0 }] },
      { accountant: 'rdp', events: [{ samplingRate: '0.1', noiseMultiplier: 1, count: 1 }] },
      { accountant: 'rdp', events: [{ samplingRate: 0.1, noiseMultiplier: 1, count: 1, extra: 2 }] },
    ];
    for (const v of bad) expect(() => PrivacyLedger.fromJSON(v)).toThrow(InvalidArgumentError);
  });

  it('compose validates events', () => {
    const l = PrivacyLedger.empty();
    expect(() => l.compose({ samplingRate: -0.1, noiseMultiplier: 1, count: 1 })).toThrow(InvalidArgumentError);
    expect(() => l.compose({ samplingRate: 0.1, noiseMultiplier: NaN, count: 1 })).toThrow(InvalidArgumentError);
    expect(() => l.compose({ samplingRate: 0.1, noiseMultiplier: 1, count: 2.5 })).toThrow(InvalidArgumentError);
    expect(() => ledgerEpsilon(l, 0)).toThrow(InvalidArgumentError);
    expect(() => ledgerEpsilon(l, 1)).toThrow(InvalidArgumentError);
  });

  it('epsilon grows with steps and with q, shrinks with sigma; sigma = 0 is unbounded', () => {
    const eps = (q: number, s: number, t: number): number =>
      ledgerEpsilon(PrivacyLedger.empty().compose({ samplingRate: q, noiseMultiplier: s, count: t }), 1e-5).epsilon;
    expect(eps(0.01, 1, 2000)).toBeGreaterThan(eps(0.01, 1, 1000));
    expect(eps(0.02, 1, 1000)).toBeGreaterThan(eps(0.01, 1, 1000));
    expect(eps(0.01, 1.5, 1000)).toBeLessThan(eps(0.01, 1, 1000));
    expect(eps(0.01, 0, 10)).toBe(Infinity);
    expect(eps(0, 0, 10)).toBe(0);
  });
});

describe('calibration', () => {
  const q = 256 / 60000;
  const steps = Math.ceil((60 * 60000) / 256);
  const delta = 1e-5;
  const epsAt = (s: number, t = steps): number =>
    ledgerEpsilon(PrivacyLedger.empty().compose({ samplingRate: q, noiseMultiplier: s, count: t }), delta).epsilon;

  it('finds sigma = 1.1 back from the MNIST epsilon', () => {
    const target = epsAt(1.1);
    const { noiseMultiplier, epsilon } = calibrateNoise({ targetEpsilon: target, samplingRate: q, steps, delta });
    expect(Math.abs(noiseMultiplier - 1.1) / 1.1).toBeLessThan(1e-6);
    expect(epsilon).toBeLessThanOrEqual(target);
  });

  for (const target of [0.5, 1, 3, 8]) {
    it(`target epsilon ${target}: reached, within 1e-6, and a slightly smaller sigma misses it`, () => {
      const { noiseMultiplier: s, epsilon } = calibrateNoise({ targetEpsilon: target, samplingRate: q, steps, delta });
      expect(epsAt(s)).toBe(epsilon);
      expect(epsilon).toBeLessThanOrEqual(target);
      expect((target - epsilon) / target).toBeLessThan(1e-6);
      expect(epsAt(s * (1 - 1e-6))).toBeGreaterThan(target);
    });
  }

  it('hard band (q = 1/2, large sigma, where some orders need decimal.js): same guarantees', () => {
    const o = { targetEpsilon: 0.5, samplingRate: 0.5, steps: 100, delta };
    const { noiseMultiplier: s, epsilon } = calibrateNoise(o);
    const at = (x: number): number =>
      ledgerEpsilon(PrivacyLedger.empty().compose({ samplingRate: 0.5, noiseMultiplier: x, count: 100 }), delta).epsilon;
    expect(at(s)).toBe(epsilon);
    expect(epsilon).toBeLessThanOrEqual(0.5);
    expect((0.5 - epsilon) / 0.5).toBeLessThan(1e-6);
    expect(at(s * (1 - 1e-6))).toBeGreaterThan(0.5);
  });

  it('nothing to calibrate when q = 0 or steps = 0; unreachable targets are an InvalidArgumentError', () => {
    expect(calibrateNoise({ targetEpsilon: 1, samplingRate: 0, steps, delta })).toEqual({ noiseMultiplier: 0, epsilon: 0, accountant: 'rdp' });
    expect(calibrateNoise({ targetEpsilon: 1, samplingRate: q, steps: 0, delta })).toEqual({ noiseMultiplier: 0, epsilon: 0, accountant: 'rdp' });
    // With q = 1 (closed form) even sigma = 1e6 leaves epsilon above 1e-9 at delta 1e-10.
    expect(() => calibrateNoise({ targetEpsilon: 1e-9, samplingRate: 1, steps: 1e6, delta: 1e-10 })).toThrow(InvalidArgumentError);
    expect(() => calibrateNoise({ targetEpsilon: 0, samplingRate: q, steps, delta })).toThrow(InvalidArgumentError);
    expect(() => calibrateNoise({ targetEpsilon: 1, samplingRate: 2, steps, delta })).toThrow(InvalidArgumentError);
    expect(() => calibrateNoise({ targetEpsilon: 1, samplingRate: q, steps: -1, delta })).toThrow(InvalidArgumentError);
    expect(() => calibrateNoise({ targetEpsilon: 1, samplingRate: q, steps, delta: 0 })).toThrow(InvalidArgumentError);
  });

  it('maxStepsForBudget: T steps fit, T + 1 do not', () => {
    for (const target of [1, 2.5967, 6]) {
      const t = maxStepsForBudget({ targetEpsilon: target, samplingRate: q, noiseMultiplier: 1.1, delta });
      expect(t).toBeGreaterThan(0);
      expect(epsAt(1.1, t)).toBeLessThanOrEqual(target);
      expect(epsAt(1.1, t + 1)).toBeGreaterThan(target);
    }
    expect(maxStepsForBudget({ targetEpsilon: 1, samplingRate: 0, noiseMultiplier: 1, delta })).toBe(Infinity);
    expect(maxStepsForBudget({ targetEpsilon: 0.01, samplingRate: 0.5, noiseMultiplier: 0.5, delta })).toBe(0);
  });
});
