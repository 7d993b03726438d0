/**
 * The ledger is a record (events and provenance) and the accountants do the math: files written
 * by the previous code (test/fixtures/ledger, from a seeded quick study on main) still load and
 * give the figures written beside them; one calibration serves every target, prior included.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  calibrateNoise,
  createAccountant,
  dpSgdEvent,
  ledgerEpsilon,
  maxStepsForBudget,
  PrivacyLedger,
} from '../../src/accountant/index.js';
import { InvalidArgumentError } from '../../src/util/errors.js';

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(fileURLToPath(new URL(`../fixtures/ledger/${name}`, import.meta.url)), 'utf8')) as Record<string, unknown>;

describe('saved ledgers written by the previous code', () => {
  it.each(['main-dp-run-ledger.json', 'main-fine-tuned-run-ledger.json'])('%s loads and gives the epsilons written beside it', (name) => {
    const file = fixture(name);
    const ledger = PrivacyLedger.fromJSON(file['ledger']);
    const delta = file['delta'] as number;
    const rdp = ledgerEpsilon(ledger, delta);
    expect(rdp.epsilon).toBe(file['epsilon']);
    expect(rdp.order).toBe(file['order']);
    expect(ledgerEpsilon(ledger, delta, 'pld').epsilon).toBe(file['epsilonPld']);
    // Written back, it is what the file holds (no provenance key appears).
    expect(ledger.toJSON()).toEqual(file['ledger']);
  });

  it("a non-private run's ledger is unbounded by either accountant", () => {
    const file = fixture('main-non-private-run-ledger.json');
    const ledger = PrivacyLedger.fromJSON(file['ledger']);
    expect(file['epsilon']).toBe('Infinity');
    expect(ledger.nonPrivate).toBe(true);
    expect(ledgerEpsilon(ledger, 1e-5).epsilon).toBe(Infinity);
    expect(ledgerEpsilon(ledger, 1e-5, 'pld').epsilon).toBe(Infinity);
  });

  it("a checkpoint's ledger holds its steps at its plan's rate and noise", () => {
    const ck = fixture('main-checkpoint-ledger-and-run.json');
    const run = ck['run'] as { samplingRate: number; noiseMultiplier: number; totalSteps: number; delta: number };
    const ledger = PrivacyLedger.fromJSON(ck['ledger']);
    expect(ledger.steps).toBe(ck['step']);
    expect(ledger.phases).toEqual([{ samplingRate: run.samplingRate, noiseMultiplier: run.noiseMultiplier, count: run.totalSteps }]);
    // The accountant composing the raw event agrees with the helper.
    const direct = createAccountant('rdp').compose(dpSgdEvent(run.samplingRate, run.noiseMultiplier, run.totalSteps)).epsilon(run.delta);
    expect(ledgerEpsilon(ledger, run.delta)).toEqual(direct);
  });
});

describe('provenance', () => {
  it('is kept in order, survives JSON, and leaves the figures alone', () => {
    const a = PrivacyLedger.empty().compose({ samplingRate: 0.01, noiseMultiplier: 1.1, count: 100 }, 'starting run runs/a');
    const b = a.compose({ samplingRate: 0.01, noiseMultiplier: 1.1, count: 3 }, '3 steps charged after a crash');
    expect(b.provenance).toEqual(['starting run runs/a', '3 steps charged after a crash']);
    const back = PrivacyLedger.fromJSON(JSON.parse(JSON.stringify(b)));
    expect(back.provenance).toEqual(b.provenance);
    expect(back.phases).toEqual(b.phases);
    const plain = PrivacyLedger.empty().compose({ samplingRate: 0.01, noiseMultiplier: 1.1, count: 103 });
    expect(ledgerEpsilon(back, 1e-5)).toEqual(ledgerEpsilon(plain, 1e-5));
    expect(Object.keys(plain.toJSON())).toEqual(['events']);
    expect(() => PrivacyLedger.fromJSON({ events: [], provenance: [1] })).toThrow(InvalidArgumentError);
  });
});

describe('calibrateNoise after a prior ledger', () => {
  const prior = PrivacyLedger.empty().compose({ samplingRate: 0.02, noiseMultiplier: 1.2, count: 400 });
  const o = { targetEpsilon: 3, samplingRate: 0.05, steps: 200, delta: 1e-5, prior };

  it.each(['rdp', 'pld'] as const)('%s: the sigma found keeps prior + steps within the target, and a little less noise does not', (accountant) => {
    const tol = accountant === 'pld' ? 1e-4 : 1e-6;
    const r = calibrateNoise({ ...o, accountant });
    const total = (sigma: number): number =>
      ledgerEpsilon(prior.compose({ samplingRate: o.samplingRate, noiseMultiplier: sigma, count: o.steps }), o.delta, accountant).epsilon;
    expect(r.epsilon).toBe(total(r.noiseMultiplier));
    expect(r.epsilon).toBeLessThanOrEqual(o.targetEpsilon);
    expect(total(r.noiseMultiplier * (1 - 3 * tol))).toBeGreaterThan(o.targetEpsilon);
    // The prior's spending needs more noise than the same steps alone.
    expect(r.noiseMultiplier).toBeGreaterThan(calibrateNoise({ ...o, accountant, prior: PrivacyLedger.empty() }).noiseMultiplier);
  });

  it('refuses a target the prior has already spent', () => {
    const spent = ledgerEpsilon(prior, 1e-5).epsilon;
    expect(() => calibrateNoise({ ...o, targetEpsilon: spent * 0.99 })).toThrow(/already spent/);
    expect(() => calibrateNoise({ ...o, accountant: 'bogus' as never })).toThrow(InvalidArgumentError);
  });

  it('maxStepsForBudget: with a prior and either accountant, T steps fit and T + 1 do not', () => {
    for (const accountant of ['rdp', 'pld'] as const) {
      const b = { accountant, targetEpsilon: 2.5, samplingRate: 0.05, noiseMultiplier: 1.3, delta: 1e-5, prior };
      const t = maxStepsForBudget(b);
      const total = (k: number): number => ledgerEpsilon(prior.compose({ samplingRate: 0.05, noiseMultiplier: 1.3, count: k }), 1e-5, accountant).epsilon;
      expect(t).toBeGreaterThan(0);
      expect(total(t)).toBeLessThanOrEqual(2.5);
      expect(total(t + 1)).toBeGreaterThan(2.5);
      expect(maxStepsForBudget({ ...b, limit: t - 1 })).toBe(t - 1);
    }
  });
});
