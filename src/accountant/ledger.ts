/**
 * The privacy ledger: a record of what a run released (privacy events) and why (provenance).
 * It does no privacy math: epsilon and delta come from an accountant, through
 * {@link ledgerEpsilon} / {@link ledgerDelta} or createAccountant(name).compose(ledger.event()).
 */
import { InvalidArgumentError } from '../util/errors.js';
import { createAccountant, pushPhase, type AccountantName, type DeltaResult, type EpsilonResult } from './accountant.js';
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
import type { PldOptions } from './pld/index.js';

/**
 * On-disk form of a ledger: its events (DpEvent values; a training run writes one
 * self-composed Poisson-sampled Gaussian per phase, a non-private run one non-private event)
 * and, only when there is any, its provenance (one line per entry, in order).
 */
export interface LedgerJson {
  readonly events: DpEvent[];
  readonly provenance?: string[];
}

/** The form written before privacy events were values (still read). */
export interface LegacyLedgerJson {
  readonly accountant: 'rdp';
  readonly events: SampledGaussianEvent[];
}

/**
 * An immutable record of the private steps taken: phases of sampled-Gaussian steps (consecutive
 * steps with equal q and sigma merged), whether anything non-private was released, and where
 * the entries came from (e.g. "starting run runs/a", "3 steps charged after a crash").
 */
export class PrivacyLedger {
  /** The sampled-Gaussian phases, in order. */
  readonly phases: readonly SampledGaussianEvent[];
  /** True when a non-private event was recorded (no finite guarantee). */
  readonly nonPrivate: boolean;
  /** Why entries were added, in order (empty for an ordinary run). */
  readonly provenance: readonly string[];

  private constructor(phases: readonly SampledGaussianEvent[], nonPrivate = false, provenance: readonly string[] = []) {
    this.phases = Object.freeze(phases.slice());
    this.nonPrivate = nonPrivate;
    this.provenance = Object.freeze(provenance.slice());
  }

  static empty(): PrivacyLedger {
    return new PrivacyLedger([]);
  }

  /** A ledger for a run without differential privacy. */
  static nonPrivate(): PrivacyLedger {
    return new PrivacyLedger([], true);
  }

  /**
   * New ledger with `event` added: a DpEvent (validated; InvalidArgumentError naming the bad
   * field, or for what no accountant can bound) or `count` sampled-Gaussian steps
   * {samplingRate, noiseMultiplier, count}. A phase equal in q and sigma to the last one is
   * merged into it. `why`, when given, is appended to the provenance.
   *
   * @example
   * const l = PrivacyLedger.empty().compose({ samplingRate: 0.01, noiseMultiplier: 1.1, count: 1000 });
   * ledgerEpsilon(l, 1e-5).epsilon; // RDP epsilon (nats) of 1,000 steps
   */
  compose(event: DpEvent | SampledGaussianEvent, why?: string): PrivacyLedger {
    const phases = this.phases.slice();
    let nonPrivate = this.nonPrivate;
    if ('kind' in event) {
      const flat = flattenEvent(event);
      for (const p of flat.phases) pushPhase(phases, p);
      nonPrivate ||= flat.nonPrivate;
    } else {
      pushPhase(phases, sampledGaussianEvent(event.samplingRate, event.noiseMultiplier, event.count));
    }
    return new PrivacyLedger(phases, nonPrivate, why === undefined ? this.provenance : [...this.provenance, why]);
  }

  /** Everything recorded, as one composed event (what an accountant composes). */
  event(): DpEvent {
    const parts = this.phases.map((e) => dpSgdEvent(e.samplingRate, e.noiseMultiplier, e.count));
    return composedEvent(this.nonPrivate ? [...parts, nonPrivateEvent()] : parts);
  }

  /** Total number of steps over all phases. */
  get steps(): number {
    return this.phases.reduce((s, e) => s + e.count, 0);
  }

  toJSON(): LedgerJson {
    // Always self-composed (also for one step), so every phase reads the same way.
    const events = this.phases.map((e) => selfComposedEvent(poissonSampledEvent(e.samplingRate, gaussianEvent(e.noiseMultiplier)), e.count));
    return {
      events: this.nonPrivate ? [...events, nonPrivateEvent()] : events,
      ...(this.provenance.length > 0 ? { provenance: this.provenance.slice() } : {}),
    };
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
    const extra = Object.keys(v).filter((k) => k !== 'events' && k !== 'provenance');
    if (!('events' in v) || extra.length > 0) {
      throw new InvalidArgumentError(`privacy ledger must have the field "events" (and optionally "provenance"); got ${Object.keys(v).sort().join(',')}`);
    }
    const events = v['events'];
    if (!Array.isArray(events)) throw new InvalidArgumentError('privacy ledger "events" must be an array');
    const provenance = v['provenance'] ?? [];
    if (!Array.isArray(provenance) || !provenance.every((p) => typeof p === 'string')) {
      throw new InvalidArgumentError('privacy ledger "provenance" must be an array of strings');
    }
    const phases: SampledGaussianEvent[] = [];
    let nonPrivate = false;
    events.forEach((raw: unknown, i) => {
      const flat = flattenEvent(eventFromJSON(raw, `privacy ledger event ${i}`));
      // Keep the phases as written (no merging): the round trip is exact.
      phases.push(...flat.phases);
      nonPrivate ||= flat.nonPrivate;
    });
    return new PrivacyLedger(phases, nonPrivate, provenance as string[]);
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

/**
 * epsilon (nats) the ledger's events spend at delta in (0, 1), by the named accountant (default
 * 'rdp'): createAccountant(accountant, pld).compose(ledger.event()).epsilon(delta). Infinity
 * for a ledger holding a non-private event.
 *
 * ```ts
 * import { PrivacyLedger, ledgerEpsilon } from 'dp-canary/accountant';
 * const ledger = PrivacyLedger.empty().compose({ samplingRate: 256 / 60000, noiseMultiplier: 1.1, count: 14063 });
 * ledgerEpsilon(ledger, 1e-5).epsilon; // 2.597 (RDP, TF Privacy's MNIST example)
 * ledgerEpsilon(ledger, 1e-5, 'pld').epsilon; // 2.38 (PLD)
 * ```
 */
export function ledgerEpsilon(ledger: PrivacyLedger, delta: number, accountant: AccountantName = 'rdp', pld: PldOptions = {}): EpsilonResult {
  return createAccountant(accountant, pld).compose(ledger.event()).epsilon(delta);
}

/**
 * delta (at most 1) of the ledger's events at epsilon >= 0 (nats), by the named accountant (default 'rdp').
 *
 * ```ts
 * import { PrivacyLedger, ledgerDelta } from 'dp-canary/accountant';
 * const ledger = PrivacyLedger.empty().compose({ samplingRate: 0.01, noiseMultiplier: 1.1, count: 1000 });
 * ledgerDelta(ledger, 2).delta; // the delta at which these steps are (2, delta)-DP
 * ```
 */
export function ledgerDelta(ledger: PrivacyLedger, epsilon: number, accountant: AccountantName = 'rdp', pld: PldOptions = {}): DeltaResult {
  return createAccountant(accountant, pld).compose(ledger.event()).delta(epsilon);
}
