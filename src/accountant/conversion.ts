/**
 * RDP -> (epsilon, delta) conversions (epsilon in nats), minimised over the orders given.
 *
 * Tight conversion (Canonne, Kamath, Steinke 2020, arXiv 2004.00010, Prop. 12; Asoodeh et al.
 * 2020, arXiv 2001.05990, Eq. 20), as used by dp_accounting's compute_epsilon / compute_delta:
 *   epsilon = rdp + log1p(-1/alpha) - log(delta * alpha) / (alpha - 1)          (alpha > 1.01)
 *   log delta = (alpha - 1)(rdp - epsilon + log1p(-1/alpha)) - log(alpha)
 * plus the KL-divergence bound delta <= sqrt(1 - exp(-rdp)) (Pinsker-type, order -> 1), which
 * gives epsilon = 0 when delta^2 > 1 - exp(-rdp). Orders alpha <= 1.01 are skipped by the
 * tight bound (numerically unstable there), as in dp_accounting.
 * Classic conversion (Mironov 2017, Prop. 3): epsilon = rdp + log(1/delta) / (alpha - 1).
 */
import { InvalidArgumentError } from '../util/errors.js';
import { checkDelta, checkEpsilon } from './validate.js';
import log1p from '@stdlib/math-base-special-log1p';
import expm1 from '@stdlib/math-base-special-expm1';

function checkPairs(orders: readonly number[], rdp: readonly number[]): void {
  if (orders.length !== rdp.length || orders.length === 0) {
    throw new InvalidArgumentError('orders and RDP values must be non-empty lists of the same length');
  }
  for (let i = 0; i < orders.length; i++) {
    if (!(orders[i]! > 1)) throw new InvalidArgumentError(`every RDP order must be > 1, got ${orders[i]}`);
    if (Number.isNaN(rdp[i]!) || rdp[i]! < 0) throw new InvalidArgumentError(`RDP values must be >= 0, got ${rdp[i]}`);
  }
}

/** The smallest value of `f(order, rdp)` over the orders, and the order attaining it. */
function minOverOrders(
  orders: readonly number[],
  rdp: readonly number[],
  f: (alpha: number, rdp: number) => number,
): { value: number; order: number } {
  let value = Infinity;
  let order = orders[0]!;
  for (let i = 0; i < orders.length; i++) {
    const v = f(orders[i]!, rdp[i]!);
    if (v < value) {
      value = v;
      order = orders[i]!;
    }
  }
  return { value, order };
}

/**
 * Smallest epsilon (nats) over the orders, tight conversion; Infinity when unbounded.
 *
 * ```ts
 * import { epsilonFromRdp } from 'dp-canary/accountant';
 * // The Gaussian mechanism with sigma 1 has RDP alpha / 2 at order alpha:
 * const orders = [2, 4, 8, 16, 32];
 * epsilonFromRdp(orders, orders.map((a) => a / 2), 1e-5); // { epsilon: about 5.1, order: 4 }
 * ```
 */
export function epsilonFromRdp(orders: readonly number[], rdp: readonly number[], delta: number): { epsilon: number; order: number } {
  checkDelta(delta);
  checkPairs(orders, rdp);
  const { value, order } = minOverOrders(orders, rdp, (a, r) => {
    if (delta * delta + expm1(-r) > 0) return 0;
    return a > 1.01 ? r + log1p(-1 / a) - Math.log(delta * a) / (a - 1) : Infinity;
  });
  return { epsilon: Math.max(0, value), order };
}

/** Smallest epsilon (nats) over the orders with the classic conversion rdp + log(1/delta)/(alpha-1). */
export function classicEpsilonFromRdp(orders: readonly number[], rdp: readonly number[], delta: number): { epsilon: number; order: number } {
  checkDelta(delta);
  checkPairs(orders, rdp);
  const { value, order } = minOverOrders(orders, rdp, (a, r) => r - Math.log(delta) / (a - 1));
  return { epsilon: Math.max(0, value), order };
}

/**
 * Smallest delta over the orders for a given epsilon >= 0 (nats), tight conversion; at most 1.
 *
 * ```ts
 * import { deltaFromRdp } from 'dp-canary/accountant';
 * const orders = [2, 4, 8, 16, 32];
 * deltaFromRdp(orders, orders.map((a) => a / 2), 5); // { delta, order }: delta at epsilon 5
 * ```
 */
export function deltaFromRdp(orders: readonly number[], rdp: readonly number[], epsilon: number): { delta: number; order: number } {
  checkEpsilon(epsilon);
  checkPairs(orders, rdp);
  const { value, order } = minOverOrders(orders, rdp, (a, r) => {
    // KL bound: delta <= sqrt(1 - exp(-rdp)).
    const kl = r === 0 ? -Infinity : 0.5 * Math.log(-expm1(-r));
    return a > 1.01 ? Math.min(kl, (a - 1) * (r - epsilon + log1p(-1 / a)) - Math.log(a)) : kl;
  });
  return { delta: Math.min(Math.exp(value), 1), order };
}
