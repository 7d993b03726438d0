/**
 * Privacy events as immutable values (after dp_accounting's DpEvent): what a mechanism did,
 * with no accountant in it. Any accountant can then bound the privacy of an event.
 *
 * - gaussian:        the Gaussian mechanism, noise std = noiseMultiplier * L2 sensitivity (sigma >= 0)
 * - poisson-sampled: `event` run on a Poisson sample (each record in with probability samplingRate)
 * - self-composed:   `event` run `count` times
 * - composed:        the events run one after the other
 * - non-private:     no guarantee at all (epsilon = Infinity)
 * - no-op:           releases nothing (epsilon = 0)
 */
import { InvalidArgumentError } from '../util/errors.js';
import { checkNoiseMultiplier, checkSamplingRate, checkSteps } from './validate.js';

export type DpEvent =
  | { readonly kind: 'no-op' }
  | { readonly kind: 'non-private' }
  | { readonly kind: 'gaussian'; readonly noiseMultiplier: number }
  | { readonly kind: 'poisson-sampled'; readonly samplingRate: number; readonly event: DpEvent }
  | { readonly kind: 'self-composed'; readonly count: number; readonly event: DpEvent }
  | { readonly kind: 'composed'; readonly events: readonly DpEvent[] };

export type DpEventKind = DpEvent['kind'];

/**
 * A frozen no-op event.
 *
 * ```ts
 * import { createAccountant, noOpEvent } from 'dp-canary/accountant';
 * createAccountant('rdp').compose(noOpEvent()).epsilon(1e-5).epsilon; // 0
 * ```
 */
export function noOpEvent(): DpEvent {
  return Object.freeze({ kind: 'no-op' as const });
}

/**
 * A frozen non-private event (unbounded privacy loss).
 *
 * ```ts
 * import { createAccountant, nonPrivateEvent } from 'dp-canary/accountant';
 * createAccountant('rdp').compose(nonPrivateEvent()).epsilon(1e-5).epsilon; // Infinity
 * ```
 */
export function nonPrivateEvent(): DpEvent {
  return Object.freeze({ kind: 'non-private' as const });
}

/**
 * The Gaussian mechanism with noise multiplier sigma >= 0 (InvalidArgumentError otherwise).
 *
 * ```ts
 * import { createAccountant, gaussianEvent } from 'dp-canary/accountant';
 * // One release of a sum of sensitivity 1 with N(0, 2^2) noise added:
 * createAccountant('pld').compose(gaussianEvent(2)).epsilon(1e-5).epsilon; // about 2.0 nats
 * ```
 */
export function gaussianEvent(noiseMultiplier: number): DpEvent {
  checkNoiseMultiplier(noiseMultiplier);
  return Object.freeze({ kind: 'gaussian' as const, noiseMultiplier });
}

/**
 * `event` on a Poisson sample with rate q in [0, 1].
 *
 * ```ts
 * import { createAccountant, gaussianEvent, poissonSampledEvent } from 'dp-canary/accountant';
 * // A Gaussian (sigma 1.1) on a Poisson sample that holds each record with probability 0.01:
 * createAccountant('rdp').compose(poissonSampledEvent(0.01, gaussianEvent(1.1))).epsilon(1e-5).epsilon;
 * ```
 */
export function poissonSampledEvent(samplingRate: number, event: DpEvent): DpEvent {
  checkSamplingRate(samplingRate);
  return Object.freeze({ kind: 'poisson-sampled' as const, samplingRate, event });
}

/**
 * `event` repeated `count` >= 1 times.
 *
 * ```ts
 * import { createAccountant, gaussianEvent, poissonSampledEvent, selfComposedEvent } from 'dp-canary/accountant';
 * const step = poissonSampledEvent(0.01, gaussianEvent(1.1));
 * createAccountant('rdp').compose(selfComposedEvent(step, 1000)).epsilon(1e-5).epsilon; // 1,000 such steps
 * ```
 */
export function selfComposedEvent(event: DpEvent, count: number): DpEvent {
  checkSteps(count, 'count', 1);
  return Object.freeze({ kind: 'self-composed' as const, count, event });
}

/**
 * The events one after the other.
 *
 * ```ts
 * import { composedEvent, createAccountant, dpSgdEvent } from 'dp-canary/accountant';
 * // Two phases of training with different sampling rates and noise:
 * const both = composedEvent([dpSgdEvent(0.01, 1.1, 500), dpSgdEvent(0.02, 1.5, 200)]);
 * createAccountant('pld').compose(both).epsilon(1e-5).epsilon;
 * ```
 */
export function composedEvent(events: readonly DpEvent[]): DpEvent {
  return Object.freeze({ kind: 'composed' as const, events: Object.freeze(events.slice()) });
}

/**
 * `steps` steps of DP-SGD: the Poisson-subsampled Gaussian mechanism, self-composed.
 *
 * ```ts
 * import { createAccountant, dpSgdEvent } from 'dp-canary/accountant';
 * // TF Privacy's MNIST tutorial: q = 256 / 60000, sigma 1.1, 60 epochs (14,063 steps).
 * createAccountant('rdp').compose(dpSgdEvent(256 / 60000, 1.1, 14063)).epsilon(1e-5).epsilon; // 2.597
 * ```
 */
export function dpSgdEvent(samplingRate: number, noiseMultiplier: number, steps: number): DpEvent {
  const one = poissonSampledEvent(samplingRate, gaussianEvent(noiseMultiplier));
  return steps === 1 ? one : selfComposedEvent(one, steps);
}

/**
 * `count` steps of the Poisson-subsampled Gaussian mechanism: each example is included
 * independently with probability samplingRate (q in [0, 1]); Gaussian noise of standard deviation
 * noiseMultiplier (sigma >= 0) times the L2 sensitivity (clipping norm) is added to the sum.
 * The form in which both accountants consume events (see flattenEvent).
 */
export interface SampledGaussianEvent {
  readonly samplingRate: number;
  readonly noiseMultiplier: number;
  readonly count: number;
}

/**
 * A validated, frozen event. Throws InvalidArgumentError on q outside [0, 1], sigma < 0, count not an integer >= 1.
 *
 * ```ts
 * import { PrivacyLedger, ledgerEpsilon, sampledGaussianEvent } from 'dp-canary/accountant';
 * const ledger = PrivacyLedger.empty().compose(sampledGaussianEvent(0.01, 1.1, 1000));
 * ledgerEpsilon(ledger, 1e-5).epsilon;
 * ```
 */
export function sampledGaussianEvent(samplingRate: number, noiseMultiplier: number, count = 1): SampledGaussianEvent {
  checkSamplingRate(samplingRate);
  checkNoiseMultiplier(noiseMultiplier);
  checkSteps(count, 'count', 1);
  return Object.freeze({ samplingRate, noiseMultiplier, count });
}

/** An event as the phases of sampled-Gaussian steps it consists of, in order, and whether any part is non-private. */
export interface FlatEvent {
  readonly phases: readonly SampledGaussianEvent[];
  readonly nonPrivate: boolean;
}

/**
 * Flattens an event into sampled-Gaussian phases (a plain Gaussian is q = 1). Throws InvalidArgumentError
 * for what the accountants cannot bound (Poisson sampling of anything but a Gaussian, counts
 * beyond 2^53).
 */
export function flattenEvent(event: DpEvent): FlatEvent {
  // Events may come from JavaScript or JSON with a misspelt kind or field: a part skipped here
  // would be accounted as epsilon 0, so every part is checked before any is counted.
  checkEvent(event);
  const phases: SampledGaussianEvent[] = [];
  let nonPrivate = false;
  const walk = (e: DpEvent, times: number): void => {
    switch (e.kind) {
      case 'no-op':
        return;
      case 'non-private':
        nonPrivate = true;
        return;
      case 'gaussian':
        phases.push(sampledGaussianEvent(1, e.noiseMultiplier, times));
        return;
      case 'poisson-sampled':
        if (e.event.kind !== 'gaussian') {
          throw new InvalidArgumentError(`a Poisson-sampled ${e.event.kind} event is not supported; only a Poisson-sampled gaussian`);
        }
        if (e.samplingRate > 0) phases.push(sampledGaussianEvent(e.samplingRate, e.event.noiseMultiplier, times));
        return;
      case 'self-composed': {
        const n = times * e.count;
        if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('self-composed event: total count exceeds 2^53');
        walk(e.event, n);
        return;
      }
      case 'composed':
        for (const x of e.events) walk(x, times);
        return;
      default:
        throw new InvalidArgumentError(`unknown privacy event kind ${JSON.stringify((e as { kind?: unknown }).kind)}`);
    }
  };
  walk(event, 1);
  return { phases, nonPrivate };
}

const KEYS: Record<DpEventKind, string> = {
  'no-op': 'kind',
  'non-private': 'kind',
  gaussian: 'kind,noiseMultiplier',
  'poisson-sampled': 'event,kind,samplingRate',
  'self-composed': 'count,event,kind',
  composed: 'events,kind',
};

/**
 * Checks that `value` is a well-formed event: a known kind, exactly its fields (none missing,
 * none extra), finite numbers in range, recursively. Returns it rebuilt as a frozen event;
 * throws InvalidArgumentError naming the bad part by its path, e.g. `event.event.samplingRate`.
 *
 * @example
 * checkEvent({ kind: 'poisson-sampled', samplingRate: 0.01, event: { kind: 'gaussian', noiseMultiplier: 1.1 } });
 * checkEvent({ kind: 'gausian', noiseMultiplier: 1 }); // throws: event has unknown kind "gausian"
 *
 * ```ts
 * import { checkEvent, InvalidArgumentError } from 'dp-canary/accountant';
 * const event = checkEvent({ kind: 'gaussian', noiseMultiplier: 1.1 }); // a DpEvent
 * try {
 *   checkEvent({ kind: 'gausian', noiseMultiplier: 1.1 }); // misspelt: never accounted as epsilon 0
 * } catch (err) {
 *   if (!(err instanceof InvalidArgumentError)) throw err; // the message names event.kind
 * }
 * ```
 */
export function checkEvent(value: unknown, where = 'event'): DpEvent {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidArgumentError(`${where} must be an object with a "kind"`);
  const v = value as Record<string, unknown>;
  const kind = v['kind'];
  if (typeof kind !== 'string' || !(kind in KEYS)) {
    throw new InvalidArgumentError(`${where} has unknown kind ${JSON.stringify(kind)}; expected one of ${Object.keys(KEYS).join(', ')}`);
  }
  const expected = KEYS[kind as DpEventKind].split(',');
  const missing = expected.filter((k) => !(k in v));
  const extra = Object.keys(v).filter((k) => !expected.includes(k));
  if (missing.length > 0 || extra.length > 0) {
    const parts = [...missing.map((k) => `${where}.${k} is missing`), ...extra.map((k) => `${where}.${k} is not a field of a ${kind} event`)];
    throw new InvalidArgumentError(`${parts.join('; ')} (a ${kind} event has exactly the fields ${expected.join(', ')})`);
  }
  const num = (k: string): number => {
    const x = v[k];
    if (typeof x !== 'number' || !Number.isFinite(x)) throw new InvalidArgumentError(`${where}.${k} must be a finite number, got ${typeof x === 'number' ? x : JSON.stringify(x) ?? String(x)}`);
    return x;
  };
  try {
    switch (kind as DpEventKind) {
      case 'no-op':
        return noOpEvent();
      case 'non-private':
        return nonPrivateEvent();
      case 'gaussian':
        checkNoiseMultiplier(num('noiseMultiplier'), `${where}.noiseMultiplier`);
        return gaussianEvent(num('noiseMultiplier'));
      case 'poisson-sampled':
        checkSamplingRate(num('samplingRate'), `${where}.samplingRate`);
        return poissonSampledEvent(num('samplingRate'), checkEvent(v['event'], `${where}.event`));
      case 'self-composed':
        checkSteps(num('count'), `${where}.count`, 1);
        return selfComposedEvent(checkEvent(v['event'], `${where}.event`), num('count'));
      case 'composed': {
        const es = v['events'];
        if (!Array.isArray(es)) throw new InvalidArgumentError(`${where}.events must be an array`);
        return composedEvent(es.map((x: unknown, i) => checkEvent(x, `${where}.events[${i}]`)));
      }
    }
  } catch (err) {
    if (err instanceof InvalidArgumentError && !err.message.startsWith(where)) throw new InvalidArgumentError(`${where}: ${err.message}`);
    throw err;
  }
}

/**
 * Rebuilds an event from its JSON form (the parsed object); the same checks as {@link checkEvent}.
 *
 * ```ts
 * import { createAccountant, dpSgdEvent, eventFromJSON } from 'dp-canary/accountant';
 * const text = JSON.stringify(dpSgdEvent(0.01, 1.1, 1000));
 * createAccountant('rdp').compose(eventFromJSON(JSON.parse(text))).epsilon(1e-5).epsilon;
 * ```
 */
export const eventFromJSON = checkEvent;
