import { describe, expect, it } from 'vitest';
import {
  PrivacyLedger,
  RdpAccountant,
  composedEvent,
  createAccountant,
  dpSgdEvent,
  eventFromJSON,
  flattenEvent,
  gaussianEvent,
  noOpEvent,
  nonPrivateEvent,
  poissonSampledEvent,
  sampledGaussianRdp,
  selfComposedEvent,
  DEFAULT_ORDERS,
  epsilonFromRdp,
} from '../../src/accountant/index.js';
import { InvalidArgumentError } from '../../src/util/errors.js';

describe('privacy events as values', () => {
  it('are frozen tagged unions and flatten to sampled-Gaussian phases', () => {
    const e = composedEvent([
      selfComposedEvent(poissonSampledEvent(0.01, gaussianEvent(1.1)), 100),
      noOpEvent(),
      selfComposedEvent(composedEvent([gaussianEvent(3), poissonSampledEvent(0, gaussianEvent(1))]), 2),
    ]);
    expect(Object.isFrozen(e)).toBe(true);
    expect(e.kind).toBe('composed');
    expect(flattenEvent(e)).toEqual({
      phases: [
        { samplingRate: 0.01, noiseMultiplier: 1.1, count: 100 },
        { samplingRate: 1, noiseMultiplier: 3, count: 2 },
      ],
      nonPrivate: false,
    });
    expect(flattenEvent(composedEvent([e, nonPrivateEvent()])).nonPrivate).toBe(true);
  });

  it('round-trip through JSON and reject malformed or unsupported ones with InvalidArgumentError', () => {
    const e = composedEvent([dpSgdEvent(0.02, 1.3, 7), nonPrivateEvent(), gaussianEvent(2)]);
    expect(eventFromJSON(JSON.parse(JSON.stringify(e)))).toEqual(e);
    const bad: unknown[] = [
      null,
      { kind: 'laplace', scale: 1 },
      { kind: 'gaussian' },
      { kind: 'gaussian', noiseMultiplier: -1 },
      { kind: 'gaussian', noiseMultiplier: 1, extra: 1 },
      { kind: 'poisson-sampled', samplingRate: 1.5, event: { kind: 'gaussian', noiseMultiplier: 1 } },
      { kind: 'self-composed', count: 0, event: { kind: 'no-op' } },
      { kind: 'self-composed', count: 1.5, event: { kind: 'no-op' } },
      { kind: 'composed', events: {} },
    ];
    for (const v of bad) expect(() => eventFromJSON(v)).toThrow(InvalidArgumentError);
    // Accountants bound only Poisson-sampled Gaussians.
    expect(() => flattenEvent(poissonSampledEvent(0.1, selfComposedEvent(gaussianEvent(1), 2)))).toThrow(InvalidArgumentError);
    expect(() => flattenEvent(selfComposedEvent(selfComposedEvent(gaussianEvent(1), 2 ** 30), 2 ** 30))).toThrow(InvalidArgumentError);
  });

  it('the RDP accountant gives exactly the figures of the RDP functions', () => {
    const acc = new RdpAccountant().compose(dpSgdEvent(256 / 60000, 1.1, 14063));
    const direct = epsilonFromRdp(DEFAULT_ORDERS, sampledGaussianRdp(256 / 60000, 1.1, DEFAULT_ORDERS, 14063), 1e-5);
    expect(acc.epsilon(1e-5)).toEqual({ ...direct, accountant: 'rdp' });
    expect(createAccountant('rdp').compose(nonPrivateEvent()).epsilon(1e-5).epsilon).toBe(Infinity);
    expect(() => createAccountant('moments')).toThrow(InvalidArgumentError);
  });
});

describe('the ledger records events only', () => {
  it('a non-private ledger round-trips and has no finite epsilon under either accountant', () => {
    const l = PrivacyLedger.nonPrivate();
    const back = PrivacyLedger.fromJSON(JSON.parse(JSON.stringify(l)));
    expect(back.nonPrivate).toBe(true);
    expect(back.toJSON()).toEqual({ events: [{ kind: 'non-private' }] });
    expect(back.epsilon(1e-5).epsilon).toBe(Infinity);
    expect(back.epsilonWith('pld', 1e-5).epsilon).toBe(Infinity);
  });

  it('record() takes any event; epsilonWith() asks either accountant', () => {
    const l = PrivacyLedger.empty().record(dpSgdEvent(0.01, 1, 300)).compose({ samplingRate: 0.01, noiseMultiplier: 1, count: 200 });
    expect(l.events).toEqual([{ samplingRate: 0.01, noiseMultiplier: 1, count: 500 }]);
    const rdp = l.epsilonWith('rdp', 1e-5);
    expect(rdp.epsilon).toBe(l.epsilon(1e-5).epsilon);
    const pld = l.epsilonWith('pld', 1e-5);
    expect(pld.accountant).toBe('pld');
    expect(pld.epsilon).toBeLessThan(rdp.epsilon);
    expect(() => PrivacyLedger.fromJSON({ events: [{ kind: 'gaussian', noiseMultiplier: 1 }], accountant: 'pld' })).toThrow(InvalidArgumentError);
    expect(() => PrivacyLedger.fromJSON({ events: [], extra: 1 })).toThrow(InvalidArgumentError);
  });
});
