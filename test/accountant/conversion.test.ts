import { describe, expect, it } from 'vitest';
import {
  deltaFromRdp,
  epsilonFromRdp,
  PrivacyLedger,
  ledgerEpsilon,
  ledgerDelta,
  RdpAccountant,
  sampledGaussianRdp,
} from '../../src/accountant/index.js';
import { DP_ACCOUNTING_ORDERS } from '../../src/accountant/orders.js';
import { classicEpsilonFromRdp } from '../../src/accountant/conversion.js';
import { phasesRdp } from '../../src/accountant/accountant.js';
import { InvalidArgumentError } from '../../src/util/errors.js';

describe('RDP -> (epsilon, delta)', () => {
  it("TensorFlow Privacy's MNIST statement: N = 60000, batch 256, sigma 1.1, 60 epochs, delta 1e-5", () => {
    const q = 256 / 60000;
    const steps = Math.ceil((60 * 60000) / 256);
    const ledger = PrivacyLedger.empty().compose({ samplingRate: q, noiseMultiplier: 1.1, count: steps });
    const tight = new RdpAccountant(DP_ACCOUNTING_ORDERS).compose(ledger.event()).epsilon(1e-5);
    expect(Math.abs(tight.epsilon - 2.5967)).toBeLessThan(5e-5);
    const classic = classicEpsilonFromRdp(DP_ACCOUNTING_ORDERS, phasesRdp(ledger.phases, DP_ACCOUNTING_ORDERS), 1e-5);
    expect(Math.abs(classic.epsilon - 3.008)).toBeLessThan(5e-4);
    // The default grid has more orders: never worse.
    expect(ledgerEpsilon(ledger, 1e-5).epsilon).toBeLessThanOrEqual(tight.epsilon);
  });

  it("dp_accounting's pure-DP check: constant RDP 1.1 on orders 2..32 at delta 1e-5", () => {
    const orders = Array.from({ length: 31 }, (_, i) => i + 2);
    const rdp = orders.map(() => 1.1);
    const e = epsilonFromRdp(orders, rdp, 1e-5);
    expect(e.epsilon).toBeCloseTo(1.32783806176, 10);
    expect(e.order).toBe(32);
    const d = deltaFromRdp(orders, rdp, 1.32783806176);
    expect(d.delta).toBeCloseTo(1e-5, 12);
    expect(d.order).toBe(32);
  });

  it("dp_accounting's Gaussian check: sigma 4.530877117 gives (1, 1e-6) on a fine grid", () => {
    const orders = Array.from({ length: 99000 }, (_, i) => 1 + 0.001 * i).filter((a) => a > 1);
    const rdp = sampledGaussianRdp(1, 4.530877117, orders);
    expect(epsilonFromRdp(orders, rdp, 1e-6).epsilon).toBeCloseTo(1, 7);
    expect(deltaFromRdp(orders, rdp, 1).delta).toBeCloseTo(1e-6, 12);
  });

  it('delta from RDP is never below the exact delta of the Gaussian mechanism (Balle & Wang 2018)', () => {
    const orders = Array.from({ length: 495 }, (_, i) => 1.1 + 0.1 * i);
    const rdp = sampledGaussianRdp(1, 1, orders);
    for (let eps = 0; eps < 20; eps += 0.25) {
      const { delta } = deltaFromRdp(orders, rdp, eps);
      // Exact: delta(eps) = Phi(1/2 - eps) - e^eps Phi(-1/2 - eps) for sigma = 1, sensitivity 1.
      const phi = (x: number): number => 0.5 * erfcApprox(-x / Math.SQRT2);
      const exact = phi(0.5 - eps) - Math.exp(eps) * phi(-0.5 - eps);
      expect(delta).toBeGreaterThanOrEqual(exact - 1e-300);
    }
  });

  it('tight conversion is never worse than the classic one', () => {
    const orders = DP_ACCOUNTING_ORDERS;
    for (const [q, s, t] of [
      [0.01, 1, 1000],
      [0.001, 0.8, 100000],
      [0.1, 3, 50],
    ] as const) {
      const rdp = sampledGaussianRdp(q, s, orders, t);
      for (const d of [1e-3, 1e-5, 1e-9]) {
        expect(epsilonFromRdp(orders, rdp, d).epsilon).toBeLessThanOrEqual(classicEpsilonFromRdp(orders, rdp, d).epsilon);
      }
    }
  });

  it('epsilon and delta conversions are inverse to each other', () => {
    const ledger = PrivacyLedger.empty().compose({ samplingRate: 0.01, noiseMultiplier: 1, count: 2000 });
    for (const d of [1e-3, 1e-5, 1e-8]) {
      const { epsilon } = ledgerEpsilon(ledger, d);
      expect(ledgerDelta(ledger, epsilon).delta).toBeLessThanOrEqual(d * (1 + 1e-9));
      expect(ledgerDelta(ledger, epsilon).delta).toBeGreaterThan(d * 0.999);
    }
  });

  it('edge cases: zero RDP gives epsilon 0; infinite RDP gives Infinity; KL branch clamps to 0', () => {
    expect(epsilonFromRdp([2, 3], [0, 0], 1e-5).epsilon).toBe(0);
    expect(epsilonFromRdp([2, 3], [Infinity, Infinity], 1e-5).epsilon).toBe(Infinity);
    expect(deltaFromRdp([2, 3], [Infinity, Infinity], 1).delta).toBe(1);
    // delta^2 > 1 - exp(-rdp): epsilon 0 at any order.
    expect(epsilonFromRdp([2], [1e-12], 1e-3).epsilon).toBe(0);
  });

  it('validates its arguments', () => {
    expect(() => epsilonFromRdp([2], [1], 0)).toThrow(InvalidArgumentError);
    expect(() => epsilonFromRdp([2], [1], 1)).toThrow(InvalidArgumentError);
    expect(() => epsilonFromRdp([2], [1, 2], 1e-5)).toThrow(InvalidArgumentError);
    expect(() => epsilonFromRdp([2], [-1], 1e-5)).toThrow(InvalidArgumentError);
    expect(() => deltaFromRdp([2], [1], -1)).toThrow(InvalidArgumentError);
  });
});

/** erfc through the standard library of the test's own choosing (independent of src). */
function erfcApprox(x: number): number {
  // W. J. Cody's rational approximations are in @stdlib; use it directly.
  return erfcStd(x);
}
import erfcStd from '@stdlib/math-base-special-erfc';
