import { InvalidArgumentError } from '../../util/errors.js';
import { cardDetector } from './card.js';
import type { SecretDetector } from './detector.js';
import { ipv4Detector } from './ipv4.js';
import { phoneDetector } from './phone.js';
import { ssnDetector } from './ssn.js';
import { SECRET_KINDS, type SecretKind } from './types.js';

/** The kinds with a built-in detector (every kind but 'custom', which needs a user format). */
export type BuiltinSecretKind = Exclude<SecretKind, 'custom'>;

export const BUILTIN_SECRET_KINDS: readonly BuiltinSecretKind[] = SECRET_KINDS.filter((k): k is BuiltinSecretKind => k !== 'custom');

/** The built-in detector of each kind. */
export const BUILTIN_DETECTORS: Readonly<Record<BuiltinSecretKind, SecretDetector>> = {
  phone: phoneDetector,
  card: cardDetector,
  ssn: ssnDetector,
  ipv4: ipv4Detector,
};

/**
 * Parse a comma-separated list of built-in kinds ('phone,card'); duplicates are dropped and the
 * order is SECRET_KINDS'. InvalidArgumentError for an empty list or an unknown kind.
 */
export function parseSecretKinds(list: string): BuiltinSecretKind[] {
  const names = list.split(',').map((s) => s.trim().toLowerCase());
  if (names.some((n) => n === '')) throw new InvalidArgumentError(`secret kinds must be a comma-separated list of ${BUILTIN_SECRET_KINDS.join(', ')}; got '${list}'`);
  for (const n of names) {
    if (!(BUILTIN_SECRET_KINDS as readonly string[]).includes(n)) {
      throw new InvalidArgumentError(`unknown secret kind '${n}' (choose from ${BUILTIN_SECRET_KINDS.join(', ')}; a format of your own goes in --format)`);
    }
  }
  return BUILTIN_SECRET_KINDS.filter((k) => names.includes(k));
}
