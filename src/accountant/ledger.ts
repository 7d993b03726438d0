import { UserError } from '../util/errors.js';
import { classicEpsilonFromRdp, deltaFromRdp, epsilonFromRdp } from './conversion.js';
import { sampledGaussianEvent, type SampledGaussianEvent } from './events.js';
import { DEFAULT_ORDERS } from './orders.js';
import { sampledGaussianRdp } from './rdp.js';
import { checkOrders } from './validate.js';

/**
 * An immutable record of the private steps taken: a list of sampled-Gaussian events, composed
 * by adding RDP per order (heterogeneous phases compose the same way). Serialises to JSON.
 */
export class PrivacyLedger {
  readonly events: readonly SampledGaussianEvent[];

  private constructor(events: readonly SampledGaussianEvent[]) {
    this.events = Object.freeze(events.slice());
  }

  static empty(): PrivacyLedger {
    return new PrivacyLedger([]);
  }

  /** New ledger with the event added (merged into the last event when q and sigma are equal). */
  compose(event: SampledGaussianEvent): PrivacyLedger {
    const e = sampledGaussianEvent(event.samplingRate, event.noiseMultiplier, event.count);
    const last = this.events[this.events.length - 1];
    if (last && last.samplingRate === e.samplingRate && last.noiseMultiplier === e.noiseMultiplier) {
      const merged = sampledGaussianEvent(e.samplingRate, e.noiseMultiplier, last.count + e.count);
      return new PrivacyLedger([...this.events.slice(0, -1), merged]);
    }
    return new PrivacyLedger([...this.events, e]);
  }

  /** Total number of steps over all events. */
  get steps(): number {
    return this.events.reduce((s, e) => s + e.count, 0);
  }

  /** Total RDP (nats) at each order: the sum over events. */
  rdp(orders: readonly number[] = DEFAULT_ORDERS): number[] {
    checkOrders(orders);
    const total = orders.map(() => 0);
    for (const e of this.events) {
      const r = sampledGaussianRdp(e.samplingRate, e.noiseMultiplier, orders, e.count);
      for (let i = 0; i < total.length; i++) total[i]! += r[i]!;
    }
    // Round the sum up: composition must not under-report through float rounding.
    return total.map((v) => (this.events.length > 1 && v > 0 ? v * (1 + this.events.length * 2 ** -52) : v));
  }

  /** epsilon (nats) at delta in (0, 1), tight conversion minimised over orders; Infinity when unbounded. */
  epsilon(delta: number, orders: readonly number[] = DEFAULT_ORDERS): { epsilon: number; order: number } {
    return epsilonFromRdp(orders, this.rdp(orders), delta);
  }

  /** epsilon (nats) with the classic conversion rdp + log(1/delta)/(alpha - 1) (looser; for comparison). */
  classicEpsilon(delta: number, orders: readonly number[] = DEFAULT_ORDERS): { epsilon: number; order: number } {
    return classicEpsilonFromRdp(orders, this.rdp(orders), delta);
  }

  /** delta at epsilon >= 0 (nats), tight conversion minimised over orders; at most 1. */
  delta(epsilon: number, orders: readonly number[] = DEFAULT_ORDERS): { delta: number; order: number } {
    return deltaFromRdp(orders, this.rdp(orders), epsilon);
  }

  toJSON(): { accountant: 'rdp'; events: SampledGaussianEvent[] } {
    return {
      accountant: 'rdp',
      events: this.events.map((e) => ({ samplingRate: e.samplingRate, noiseMultiplier: e.noiseMultiplier, count: e.count })),
    };
  }

  /** Rebuild from toJSON() output (or its parsed JSON text). Throws UserError on malformed input. */
  static fromJSON(value: unknown): PrivacyLedger {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new UserError('privacy ledger must be a JSON object {"accountant": "rdp", "events": [...]}');
    }
    const v = value as Record<string, unknown>;
    if (v['accountant'] !== 'rdp') {
      throw new UserError(`privacy ledger has accountant ${JSON.stringify(v['accountant'])}; only "rdp" is supported`);
    }
    const events = v['events'];
    if (!Array.isArray(events)) throw new UserError('privacy ledger "events" must be an array');
    const out: SampledGaussianEvent[] = [];
    events.forEach((raw: unknown, i) => {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
        throw new UserError(`privacy ledger event ${i} must be an object`);
      }
      const r = raw as Record<string, unknown>;
      const keys = Object.keys(r).sort().join(',');
      if (keys !== 'count,noiseMultiplier,samplingRate') {
        throw new UserError(`privacy ledger event ${i} must have exactly samplingRate, noiseMultiplier, count; got ${keys}`);
      }
      const q = r['samplingRate'];
      const s = r['noiseMultiplier'];
      const c = r['count'];
      if (typeof q !== 'number' || typeof s !== 'number' || typeof c !== 'number') {
        throw new UserError(`privacy ledger event ${i}: samplingRate, noiseMultiplier and count must be numbers`);
      }
      try {
        out.push(sampledGaussianEvent(q, s, c));
      } catch (err) {
        if (err instanceof UserError) throw new UserError(`privacy ledger event ${i}: ${err.message}`);
        throw err;
      }
    });
    // Keep the events as written (no merging): the round trip is exact.
    return new PrivacyLedger(out);
  }
}
