import { InvalidArgumentError } from '../util/errors.js';

/** Sampling rate q of Poisson sampling: a probability in [0, 1]. */
export function checkSamplingRate(q: number, name = 'sampling rate'): void {
  if (typeof q !== 'number' || !Number.isFinite(q) || q < 0 || q > 1) {
    throw new InvalidArgumentError(`${name} must be a number in [0, 1], got ${String(q)}`);
  }
}

/** Noise multiplier sigma (noise std / L2 sensitivity): finite and >= 0. */
export function checkNoiseMultiplier(sigma: number, name = 'noise multiplier'): void {
  if (typeof sigma !== 'number' || !Number.isFinite(sigma) || sigma < 0) {
    throw new InvalidArgumentError(`${name} must be a finite number >= 0, got ${String(sigma)}`);
  }
}

/** A count of steps: a safe integer >= min. */
export function checkSteps(steps: number, name = 'steps', min = 0): void {
  if (typeof steps !== 'number' || !Number.isSafeInteger(steps) || steps < min) {
    throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got ${String(steps)}`);
  }
}

/** delta of (epsilon, delta)-DP: strictly between 0 and 1. */
export function checkDelta(delta: number, name = 'delta'): void {
  if (typeof delta !== 'number' || !Number.isFinite(delta) || delta <= 0 || delta >= 1) {
    throw new InvalidArgumentError(`${name} must be a number in (0, 1), got ${String(delta)}`);
  }
}

/** epsilon (nats): finite and >= 0 (or > 0 when `positive`). */
export function checkEpsilon(epsilon: number, name = 'epsilon', positive = false): void {
  const bad = positive ? !(epsilon > 0) : !(epsilon >= 0);
  if (typeof epsilon !== 'number' || !Number.isFinite(epsilon) || bad) {
    throw new InvalidArgumentError(`${name} must be a finite number ${positive ? '> 0' : '>= 0'}, got ${String(epsilon)}`);
  }
}

/** Largest RDP order accepted (the integer-order sum has alpha terms; beyond this, no use). */
export const MAX_ORDER = 1e6;

/** RDP orders: a non-empty list of finite numbers in (1, MAX_ORDER]. */
export function checkOrders(orders: readonly number[]): void {
  if (!Array.isArray(orders) || orders.length === 0) {
    throw new InvalidArgumentError('orders must be a non-empty list of numbers > 1');
  }
  for (const a of orders) {
    if (typeof a !== 'number' || !Number.isFinite(a) || a <= 1 || a > MAX_ORDER) {
      throw new InvalidArgumentError(`every RDP order must be a number > 1 and <= ${MAX_ORDER}, got ${String(a)}`);
    }
  }
}
