/**
 * The accountant interface: compose privacy events, then ask for epsilon (nats) at a delta or
 * delta at an epsilon. Two implementations: RDP (Renyi DP with the tight conversion, the
 * default) and PLD (privacy loss distributions, tighter; falls back to RDP where it cannot
 * certify a figure, and never reports more than RDP does since both are upper bounds).
 */
import { InvalidArgumentError } from '../util/errors.js';
import { deltaFromRdp, epsilonFromRdp } from './conversion.js';
import { flattenEvent, sampledGaussianEvent, type DpEvent, type SampledGaussianEvent } from './events.js';
import { DEFAULT_ORDERS } from './orders.js';
import { pldDeltaForPhases, pldEpsilonForPhases, type PldOptions } from './pld/index.js';
import { sampledGaussianRdp } from './rdp.js';
import { checkDelta, checkEpsilon, checkOrders } from './validate.js';

/** The accountants, defined once: the type, the flags' checks and the study's validation derive from it. */
export const ACCOUNTANT_NAMES = ['rdp', 'pld'] as const;

export type AccountantName = (typeof ACCOUNTANT_NAMES)[number];

/**
 * True when `name` is one of {@link ACCOUNTANT_NAMES}.
 *
 * ```ts
 * import { createAccountant, isAccountantName } from 'dp-canary/accountant';
 * const name: string = process.env.ACCOUNTANT ?? 'pld';
 * if (isAccountantName(name)) createAccountant(name); // name is 'rdp' | 'pld' here
 * ```
 */
export function isAccountantName(name: unknown): name is AccountantName {
  return (ACCOUNTANT_NAMES as readonly unknown[]).includes(name);
}

/** epsilon (nats) at a delta, and what produced it. */
export interface EpsilonResult {
  readonly epsilon: number;
  /** The accountant whose figure this is ('rdp' also when the PLD accountant fell back to it). */
  readonly accountant: AccountantName;
  /** RDP order attaining the minimum (RDP figures only). */
  readonly order?: number;
  /** PLD grid spacing in nats (PLD figures only). */
  readonly interval?: number;
  /** Why a PLD accountant reported an RDP figure, or a caveat on the figure. */
  readonly note?: string;
}

/** delta at an epsilon, and what produced it. */
export interface DeltaResult {
  readonly delta: number;
  readonly accountant: AccountantName;
  readonly order?: number;
  readonly interval?: number;
  readonly note?: string;
}

export interface PrivacyAccountant {
  readonly name: AccountantName;
  /**
   * Adds `count` (integer >= 1) runs of the event; returns this accountant. Throws
   * InvalidArgumentError, composing nothing, for a malformed event (naming the bad field) or one
   * this accountant cannot bound: never a number for what it does not understand.
   */
  compose(event: DpEvent, count?: number): this;
  /** Whether {@link compose} would accept the event (well-formed and boundable by this accountant). */
  supports(event: unknown): boolean;
  /** Smallest certified epsilon (nats) at delta in (0, 1); Infinity when none. */
  epsilon(delta: number): EpsilonResult;
  /** Smallest certified delta at epsilon >= 0 (nats); at most 1. */
  delta(epsilon: number): DeltaResult;
}

/** Merges consecutive phases with equal q and sigma (adding counts). */
export function pushPhase(phases: SampledGaussianEvent[], e: SampledGaussianEvent): void {
  const last = phases[phases.length - 1];
  if (last && last.samplingRate === e.samplingRate && last.noiseMultiplier === e.noiseMultiplier) {
    phases[phases.length - 1] = sampledGaussianEvent(e.samplingRate, e.noiseMultiplier, last.count + e.count);
  } else phases.push(e);
}

/**
 * Total RDP (nats) of phases at each order: the sum over phases, rounded up when there are
 * several (composition must not under-report through float rounding).
 */
export function phasesRdp(phases: readonly SampledGaussianEvent[], orders: readonly number[] = DEFAULT_ORDERS): number[] {
  checkOrders(orders);
  const total = orders.map(() => 0);
  for (const e of phases) {
    const r = sampledGaussianRdp(e.samplingRate, e.noiseMultiplier, orders, e.count);
    for (let i = 0; i < total.length; i++) total[i]! += r[i]!;
  }
  return total.map((v) => (phases.length > 1 && v > 0 ? v * (1 + phases.length * 2 ** -52) : v));
}

abstract class PhaseAccountant implements PrivacyAccountant {
  abstract readonly name: AccountantName;
  protected readonly phases: SampledGaussianEvent[] = [];
  protected nonPrivate = false;

  compose(event: DpEvent, count = 1): this {
    const flat = flattenEvent(event);
    if (!Number.isSafeInteger(count) || count < 1) throw new InvalidArgumentError(`count must be an integer >= 1, got ${count}`);
    if (flat.nonPrivate) this.nonPrivate = true;
    for (const p of flat.phases) {
      const n = p.count * count;
      if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('composed count exceeds 2^53');
      pushPhase(this.phases, sampledGaussianEvent(p.samplingRate, p.noiseMultiplier, n));
    }
    return this;
  }

  supports(event: unknown): boolean {
    try {
      flattenEvent(event as DpEvent);
      return true;
    } catch (err) {
      if (err instanceof InvalidArgumentError) return false;
      throw err;
    }
  }

  abstract epsilon(delta: number): EpsilonResult;
  abstract delta(epsilon: number): DeltaResult;
}

/** The RDP accountant (Mironov, Talwar, Zhang 2019; tight conversion), minimised over `orders`. */
export class RdpAccountant extends PhaseAccountant {
  readonly name = 'rdp' as const;

  constructor(private readonly orders: readonly number[] = DEFAULT_ORDERS) {
    super();
    checkOrders(orders);
  }

  epsilon(delta: number): EpsilonResult {
    checkDelta(delta);
    if (this.nonPrivate) return { epsilon: Infinity, accountant: 'rdp', note: 'non-private event' };
    return { ...epsilonFromRdp(this.orders, phasesRdp(this.phases, this.orders), delta), accountant: 'rdp' };
  }

  delta(epsilon: number): DeltaResult {
    checkEpsilon(epsilon);
    if (this.nonPrivate) return { delta: 1, accountant: 'rdp', note: 'non-private event' };
    return { ...deltaFromRdp(this.orders, phasesRdp(this.phases, this.orders), epsilon), accountant: 'rdp' };
  }
}

/**
 * The PLD accountant. Where no PLD grid within the size limit can be built, or the PLD figure
 * is not below RDP's (a very small delta, below what the truncated PLD can certify, or a grid
 * too coarse), it reports the RDP figure with accountant 'rdp' and a note saying why.
 */
export class PldAccountant extends PhaseAccountant {
  readonly name = 'pld' as const;

  constructor(private readonly options: PldOptions = {}) {
    super();
    if (options.interval !== undefined && !(options.interval > 0 && Number.isFinite(options.interval))) {
      throw new InvalidArgumentError(`PLD discretization interval must be a finite number > 0 (nats), got ${options.interval}`);
    }
    if (options.accuracy !== undefined && !(options.accuracy > 0 && options.accuracy < 1)) {
      throw new InvalidArgumentError(`PLD accuracy must be in (0, 1), got ${options.accuracy}`);
    }
  }

  /** Some phase samples (q > 0) and adds no noise (sigma = 0). */
  private noiseless(): boolean {
    return this.phases.some((p) => p.samplingRate > 0 && p.noiseMultiplier === 0);
  }

  private rdp(): RdpAccountant {
    const r = new RdpAccountant();
    for (const p of this.phases) r.compose({ kind: 'poisson-sampled', samplingRate: p.samplingRate, event: { kind: 'gaussian', noiseMultiplier: p.noiseMultiplier } }, p.count);
    return r;
  }

  epsilon(delta: number): EpsilonResult {
    checkDelta(delta);
    if (this.nonPrivate) return { epsilon: Infinity, accountant: 'pld', note: 'non-private event' };
    if (this.noiseless()) return { epsilon: Infinity, accountant: 'pld', note: NOISELESS };
    const rdp = this.rdp().epsilon(delta);
    const pld = pldEpsilonForPhases(this.phases, delta, { scale: rdp.epsilon, ...this.options });
    if (!pld) return { ...rdp, note: PLD_UNAVAILABLE };
    if (!(pld.value < rdp.epsilon) && pld.value !== 0) return { ...rdp, note: fallbackNote(pld.value, Infinity) };
    const note = pld.accuracyMet ? undefined : 'the PLD grid could not be refined to the requested accuracy (the figure is still an upper bound)';
    return { epsilon: pld.value, accountant: 'pld', interval: pld.interval, ...(note ? { note } : {}) };
  }

  delta(epsilon: number): DeltaResult {
    checkEpsilon(epsilon);
    if (this.nonPrivate) return { delta: 1, accountant: 'pld', note: 'non-private event' };
    if (this.noiseless()) return { delta: 1, accountant: 'pld', note: NOISELESS };
    const rdp = this.rdp().delta(epsilon);
    const pld = pldDeltaForPhases(this.phases, epsilon, { ...(epsilon > 0 ? { scale: epsilon } : {}), ...this.options });
    if (!pld) return { ...rdp, note: PLD_UNAVAILABLE };
    if (!(pld.value < rdp.delta) && pld.value !== 0) return { ...rdp, note: fallbackNote(pld.value, 1) };
    const note = pld.accuracyMet ? undefined : 'the PLD grid could not be refined to the requested accuracy (the figure is still an upper bound)';
    return { delta: pld.value, accountant: 'pld', interval: pld.interval, ...(note ? { note } : {}) };
  }
}

const PLD_UNAVAILABLE = 'no PLD grid can represent this mechanism (the grid would be too large, or a single step loses more than 700 nats); reporting the RDP bound';
const NOISELESS = 'a phase without noise (sigma = 0) has no finite guarantee';

function fallbackNote(pldValue: number, uncertified: number): string {
  return pldValue >= uncertified
    ? 'delta is below what the PLD can certify (its infinite-loss mass, truncated tails and rounding slack); reporting the RDP bound'
    : `the PLD bound (${pldValue}) is not below the RDP bound here; reporting the RDP bound`;
}

/**
 * A fresh accountant by name; InvalidArgumentError for an unknown name.
 *
 * ```ts
 * import { createAccountant, dpSgdEvent } from 'dp-canary/accountant';
 * const event = dpSgdEvent(0.01, 1.1, 1000);
 * const rdp = createAccountant('rdp').compose(event).epsilon(1e-5).epsilon;
 * const pld = createAccountant('pld').compose(event).epsilon(1e-5).epsilon; // tighter: below rdp
 * ```
 */
export function createAccountant(name: string, pld: PldOptions = {}): PrivacyAccountant {
  if (name === 'rdp') return new RdpAccountant();
  if (name === 'pld') return new PldAccountant(pld);
  throw new InvalidArgumentError(`unknown accountant ${JSON.stringify(name)}; expected rdp or pld`);
}
