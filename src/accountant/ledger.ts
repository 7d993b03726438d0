import { InvalidArgumentError } from '../util/errors.js';
import { createAccountant, phasesRdp, pushPhase, type AccountantName, type EpsilonResult } from './accountant.js';
import { classicEpsilonFromRdp, deltaFromRdp, epsilonFromRdp } from './conversion.js';
import {
  composedEvent,
  dpSgdEvent,
  eventFromJSON,
  flattenEvent,
  gaussianEvent,
  nonPrivateEvent,
  poissonSampledEvent,
  selfComposedEvent,
  sampledGaussianEvent,
  type DpEvent,
  type SampledGaussianEvent,
} from './events.js';
import { DEFAULT_ORDERS } from './orders.js';
import type { PldOptions } from './pld/index.js';

/**
 * On-disk form of a ledger: the events only, no accountant. Each event is a DpEvent (see
 * events.ts); a training run writes one self-composed Poisson-sampled Gaussian per phase, a
 * non-private run one non-private event.
 */
export interface LedgerJson {
  readonly events: DpEvent[];
}

/** The form written before privacy events were values (still read). */
export interface LegacyLedgerJson {
  readonly accountant: 'rdp';
  readonly events: SampledGaussianEvent[];
}

/**
 * An immutable record of the private steps taken: phases of sampled-Gaussian steps (consecutive
 * steps with equal q and sigma merged), or non-private. It holds no accountant; epsilon() and
 * friends are the RDP accountant's figures, epsilonWith() asks either accountant.
 */
export class PrivacyLedger {
  /** The phases, in order. */
  readonly events: readonly SampledGaussianEvent[];
  /** True when a non-private event was recorded (no finite guarantee). */
  readonly nonPrivate: boolean;

  private constructor(events: readonly SampledGaussianEvent[], nonPrivate = false) {
    this.events = Object.freeze(events.slice());
    this.nonPrivate = nonPrivate;
  }

  static empty(): PrivacyLedger {
    return new PrivacyLedger([]);
  }

  /** A ledger for a run without differential privacy. */
  static nonPrivate(): PrivacyLedger {
    return new PrivacyLedger([], true);
  }

  /** New ledger with the phase added (merged into the last phase when q and sigma are equal). */
  compose(event: SampledGaussianEvent): PrivacyLedger {
    const e = sampledGaussianEvent(event.samplingRate, event.noiseMultiplier, event.count);
    const phases = this.events.slice();
    pushPhase(phases, e);
    return new PrivacyLedger(phases, this.nonPrivate);
  }

  /** New ledger with any privacy event added. InvalidArgumentError for events the accountants cannot bound. */
  record(event: DpEvent): PrivacyLedger {
    const flat = flattenEvent(event);
    const phases = this.events.slice();
    for (const p of flat.phases) pushPhase(phases, p);
    return new PrivacyLedger(phases, this.nonPrivate || flat.nonPrivate);
  }

  /** Everything recorded, as one event. */
  get event(): DpEvent {
    const parts = this.events.map((e) => dpSgdEvent(e.samplingRate, e.noiseMultiplier, e.count));
    return composedEvent(this.nonPrivate ? [...parts, nonPrivateEvent()] : parts);
  }

  /** Total number of steps over all phases. */
  get steps(): number {
    return this.events.reduce((s, e) => s + e.count, 0);
  }

  /** Total RDP (nats) at each order: the sum over phases (Infinity everywhere when non-private). */
  rdp(orders: readonly number[] = DEFAULT_ORDERS): number[] {
    const r = phasesRdp(this.events, orders);
    return this.nonPrivate ? r.map(() => Infinity) : r;
  }

  /** epsilon (nats) at delta in (0, 1), RDP accountant, tight conversion minimised over orders; Infinity when unbounded. */
  epsilon(delta: number, orders: readonly number[] = DEFAULT_ORDERS): { epsilon: number; order: number } {
    return epsilonFromRdp(orders, this.rdp(orders), delta);
  }

  /** epsilon (nats) with the classic conversion rdp + log(1/delta)/(alpha - 1) (looser; for comparison). */
  classicEpsilon(delta: number, orders: readonly number[] = DEFAULT_ORDERS): { epsilon: number; order: number } {
    return classicEpsilonFromRdp(orders, this.rdp(orders), delta);
  }

  /** delta at epsilon >= 0 (nats), RDP accountant, tight conversion minimised over orders; at most 1. */
  delta(epsilon: number, orders: readonly number[] = DEFAULT_ORDERS): { delta: number; order: number } {
    return deltaFromRdp(orders, this.rdp(orders), epsilon);
  }

  /** epsilon (nats) at delta from the named accountant ('rdp' or 'pld'). */
  epsilonWith(accountant: AccountantName, delta: number, pld: PldOptions = {}): EpsilonResult {
    return createAccountant(accountant, pld).compose(this.event).epsilon(delta);
  }

  toJSON(): LedgerJson {
    // Always self-composed (also for one step), so every phase reads the same way.
    const events = this.events.map((e) => selfComposedEvent(poissonSampledEvent(e.samplingRate, gaussianEvent(e.noiseMultiplier)), e.count));
    return { events: this.nonPrivate ? [...events, nonPrivateEvent()] : events };
  }

  /**
   * Rebuild from toJSON() output (or its parsed JSON text), or from the older form
   * {"accountant": "rdp", "events": [{samplingRate, noiseMultiplier, count}]}. Throws InvalidArgumentError on
   * malformed input.
   */
  static fromJSON(value: unknown): PrivacyLedger {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new InvalidArgumentError('privacy ledger must be a JSON object {"events": [...]}');
    }
    const v = value as Record<string, unknown>;
    if ('accountant' in v) return PrivacyLedger.fromLegacy(v);
    const keys = Object.keys(v).sort().join(',');
    if (keys !== 'events') throw new InvalidArgumentError(`privacy ledger must have exactly the field "events"; got ${keys}`);
    const events = v['events'];
    if (!Array.isArray(events)) throw new InvalidArgumentError('privacy ledger "events" must be an array');
    const phases: SampledGaussianEvent[] = [];
    let nonPrivate = false;
    events.forEach((raw: unknown, i) => {
      const flat = flattenEvent(eventFromJSON(raw, `privacy ledger event ${i}`));
      // Keep the phases as written (no merging): the round trip is exact.
      phases.push(...flat.phases);
      nonPrivate ||= flat.nonPrivate;
    });
    return new PrivacyLedger(phases, nonPrivate);
  }

  private static fromLegacy(v: Record<string, unknown>): PrivacyLedger {
    if (v['accountant'] !== 'rdp') {
      throw new InvalidArgumentError(`privacy ledger has accountant ${JSON.stringify(v['accountant'])}; only "rdp" is supported`);
    }
    const events = v['events'];
    if (!Array.isArray(events)) throw new InvalidArgumentError('privacy ledger "events" must be an array');
    const out: SampledGaussianEvent[] = [];
    events.forEach((raw: unknown, i) => {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
        throw new InvalidArgumentError(`privacy ledger event ${i} must be an object`);
      }
      const r = raw as Record<string, unknown>;
      const keys = Object.keys(r).sort().join(',');
      if (keys !== 'count,noiseMultiplier,samplingRate') {
        throw new InvalidArgumentError(`privacy ledger event ${i} must have exactly samplingRate, noiseMultiplier, count; got ${keys}`);
      }
      const q = r['samplingRate'];
      const s = r['noiseMultiplier'];
      const c = r['count'];
      if (typeof q !== 'number' || typeof s !== 'number' || typeof c !== 'number') {
        throw new InvalidArgumentError(`privacy ledger event ${i}: samplingRate, noiseMultiplier and count must be numbers`);
      }
      try {
        out.push(sampledGaussianEvent(q, s, c));
      } catch (err) {
        if (err instanceof InvalidArgumentError) throw new InvalidArgumentError(`privacy ledger event ${i}: ${err.message}`);
        throw err;
      }
    });
    return new PrivacyLedger(out);
  }
}
