import { describe, expect, it } from 'vitest';
import {
  PrivacyLedger,
  ledgerEpsilon,
  RdpAccountant,
  composedEvent,
  createAccountant,
  dpSgdEvent,
  eventFromJSON,
  gaussianEvent,
  noOpEvent,
  nonPrivateEvent,
  poissonSampledEvent,
  sampledGaussianRdp,
  selfComposedEvent,
  DEFAULT_ORDERS,
  epsilonFromRdp,
} from '../../src/accountant/index.js';
import { flattenEvent } from '../../src/accountant/events.js';
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
    expect(ledgerEpsilon(back, 1e-5).epsilon).toBe(Infinity);
    expect(ledgerEpsilon(back, 1e-5, 'pld').epsilon).toBe(Infinity);
  });

  it('compose() takes any event or sampled-Gaussian steps; ledgerEpsilon() asks either accountant', () => {
    const l = PrivacyLedger.empty().compose(dpSgdEvent(0.01, 1, 300)).compose({ samplingRate: 0.01, noiseMultiplier: 1, count: 200 });
    expect(l.phases).toEqual([{ samplingRate: 0.01, noiseMultiplier: 1, count: 500 }]);
    const rdp = ledgerEpsilon(l, 1e-5, 'rdp');
    expect(rdp).toEqual(new RdpAccountant().compose(dpSgdEvent(0.01, 1, 500)).epsilon(1e-5));
    expect(rdp.epsilon).toBe(ledgerEpsilon(l, 1e-5).epsilon);
    const pld = ledgerEpsilon(l, 1e-5, 'pld');
    expect(pld.accountant).toBe('pld');
    expect(pld.epsilon).toBeLessThan(rdp.epsilon);
    expect(() => PrivacyLedger.fromJSON({ events: [{ kind: 'gaussian', noiseMultiplier: 1 }], accountant: 'pld' })).toThrow(InvalidArgumentError);
    expect(() => PrivacyLedger.fromJSON({ events: [], extra: 1 })).toThrow(InvalidArgumentError);
  });
});

describe('malformed events are errors, never a number (issue 19)', () => {
  const good = { kind: 'self-composed', count: 100, event: { kind: 'poisson-sampled', samplingRate: 0.05, event: { kind: 'gaussian', noiseMultiplier: 1.1 } } };

  it("the issue's two examples name the bad field; the correct event gives RDP 3.31 and PLD 2.89", () => {
    const misspeltField = { kind: 'self-composed', count: 100, event: { kind: 'poisson-sampled', samplingProbability: 0.05, event: { kind: 'gaussian', noiseMultiplier: 1.1 } } };
    const misspeltKind = { kind: 'gausian', noiseMultiplier: 1 };
    for (const name of ['rdp', 'pld']) {
      expect(() => createAccountant(name).compose(misspeltField as never)).toThrow(/event\.event\.samplingRate is missing.*samplingProbability is not a field/);
      expect(() => createAccountant(name).compose(misspeltKind as never)).toThrow(/unknown kind "gausian"/);
      expect(createAccountant(name).supports(misspeltField)).toBe(false);
      expect(createAccountant(name).supports(good)).toBe(true);
    }
    expect(createAccountant('rdp').compose(good as never).epsilon(1e-5).epsilon).toBeCloseTo(3.31, 2);
    expect(createAccountant('pld').compose(good as never).epsilon(1e-5).epsilon).toBeCloseTo(2.89, 2);
  });

  it('a failed compose leaves the accountant as it was', () => {
    const acc = createAccountant('rdp').compose(good as never);
    const before = acc.epsilon(1e-5).epsilon;
    expect(() => acc.compose({ kind: 'composed', events: [good, { kind: 'gaussian', noiseMultiplier: -1 }] } as never)).toThrow(InvalidArgumentError);
    expect(acc.epsilon(1e-5).epsilon).toBe(before);
  });

  it('fuzz: 1,000 random malformed events give 0 numbers from either accountant', () => {
    let x = 12345;
    const rand = (): number => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    type Json = Record<string, unknown>;
    const randomEvent = (depth: number): Json => {
      const kinds = depth > 2 ? ['gaussian', 'no-op', 'non-private'] : ['gaussian', 'poisson-sampled', 'self-composed', 'composed', 'no-op'];
      switch (pick(kinds)) {
        case 'gaussian':
          return { kind: 'gaussian', noiseMultiplier: 0.5 + 3 * rand() };
        case 'poisson-sampled':
          return { kind: 'poisson-sampled', samplingRate: rand(), event: { kind: 'gaussian', noiseMultiplier: 0.5 + 3 * rand() } };
        case 'self-composed':
          return { kind: 'self-composed', count: 1 + Math.floor(100 * rand()), event: randomEvent(depth + 1) };
        case 'composed':
          return { kind: 'composed', events: [randomEvent(depth + 1), randomEvent(depth + 1)] };
        case 'non-private':
          return { kind: 'non-private' };
        default:
          return { kind: 'no-op' };
      }
    };
    // All objects of the tree, so a mutation can hit any depth.
    const nodes = (e: Json): Json[] => {
      const out = [e];
      if (e['event'] && typeof e['event'] === 'object') out.push(...nodes(e['event'] as Json));
      if (Array.isArray(e['events'])) for (const c of e['events'] as Json[]) out.push(...nodes(c));
      return out;
    };
    const badValues = [NaN, Infinity, -Infinity, -1, '1', null, undefined, {}, [], true];
    const mutate = (e: Json): void => {
      const node = pick(nodes(e));
      const keys = Object.keys(node);
      switch (Math.floor(rand() * 5)) {
        case 0: // misspelt or unknown kind
          node['kind'] = pick(['gausian', 'Gaussian', 'poisson', 'self_composed', '', 42, null]);
          return;
        case 1: {
          // misspelt field (renamed)
          const k = pick(keys.filter((key) => key !== 'kind').concat(['kind']));
          node[k + pick(['s', 'X', '_'])] = node[k];
          delete node[k];
          return;
        }
        case 2: // extra field
          node[pick(['samplingProbability', 'sigma', 'steps', 'q', 'extra'])] = 1;
          return;
        case 3: {
          // a bad value in a numeric field, or the field removed
          const numeric = keys.filter((key) => typeof node[key] === 'number');
          if (numeric.length === 0) {
            node['kind'] = 'no_op';
            return;
          }
          const k = pick(numeric);
          if (rand() < 0.2) delete node[k];
          else node[k] = pick(badValues);
          return;
        }
        default: {
          // out of range: q > 1, count 0 or fractional, sigma < 0
          if (node['kind'] === 'poisson-sampled') node['samplingRate'] = 1 + rand();
          else if (node['kind'] === 'self-composed') node['count'] = pick([0, 2.5, -3, 2 ** 60]);
          else if (node['kind'] === 'gaussian') node['noiseMultiplier'] = -rand() - 1e-9;
          else if (node['kind'] === 'composed') node['events'] = pick([null, 'x', 3]);
          else node['kind'] = 'gaussianX';
          return;
        }
      }
    };
    let numbers = 0;
    for (let i = 0; i < 1000; i++) {
      const e = randomEvent(0);
      mutate(e);
      for (const name of ['rdp', 'pld']) {
        const acc = createAccountant(name);
        expect(acc.supports(e)).toBe(false);
        try {
          acc.compose(e as never);
          numbers++;
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidArgumentError);
        }
      }
    }
    expect(numbers).toBe(0);
  });
});
