/**
 * A run's privacy unit settings, checked together, and the group-privacy figure that tells what
 * a window-level guarantee means for a whole document or user.
 */
import { groupDelta } from '../audit/bound.js';
import { checkPrivacyUnit, type DocumentUnit, type PrivacyUnit } from '../data/units.js';
import { InvalidArgumentError } from '../util/errors.js';
import type { RunSettings } from './run-config.js';

/**
 * Default m, the most windows of a sampled unit in one step. Each step costs about (expected
 * units) x m rows; docs/privacy-unit.md has the measurements behind the choice.
 */
export const DEFAULT_UNIT_WINDOWS = 4;

/** A run's units, resolved. */
export interface RunUnits {
  /** What DP-SGD protects. */
  readonly privacyUnit: PrivacyUnit;
  /** How the data is grouped (null: one token stream, as window runs always were). */
  readonly dataUnit: DocumentUnit | null;
  /** m, windows per unit and step (used only when privacyUnit is not 'window'). */
  readonly unitWindows: number;
}

/**
 * Checks and resolves a run's unit settings (InvalidArgumentError, one line, naming the flag):
 * a known unit; a unit larger than a window only with DP-SGD and with the data grouped by the
 * same unit; m an integer >= 1; the audit canaries (per window) only in window-level runs.
 * 'public' runs have no units.
 */
export function resolveUnits(c: Pick<RunSettings, 'privacyUnit' | 'dataUnit' | 'unitWindows' | 'mitigation' | 'mode' | 'auditCanaries'>): RunUnits {
  const unitWindows = c.unitWindows ?? DEFAULT_UNIT_WINDOWS;
  if (!(Number.isSafeInteger(unitWindows) && unitWindows >= 1)) throw new InvalidArgumentError(`--unit-windows must be an integer >= 1, got ${unitWindows}`);
  if (c.mode === 'public') return { privacyUnit: 'window', dataUnit: null, unitWindows };
  const privacyUnit = checkPrivacyUnit(c.privacyUnit ?? 'window', '--privacy-unit');
  if (c.dataUnit !== undefined && c.dataUnit !== 'document' && c.dataUnit !== 'user') {
    throw new InvalidArgumentError(`--data-unit must be document or user; got '${String(c.dataUnit)}'`);
  }
  if (privacyUnit === 'window') return { privacyUnit, dataUnit: c.dataUnit ?? null, unitWindows };
  if (c.mitigation !== 'dp') {
    throw new InvalidArgumentError(`--privacy-unit ${privacyUnit} applies to DP-SGD runs; to group a non-private run's data the same way, give --data-unit ${privacyUnit}`);
  }
  if (c.dataUnit !== undefined && c.dataUnit !== privacyUnit) {
    throw new InvalidArgumentError(`--privacy-unit ${privacyUnit} needs the data grouped by ${privacyUnit} (--data-unit ${c.dataUnit} was given)`);
  }
  if ((c.auditCanaries ?? 0) > 0) throw new InvalidArgumentError(`the one-run audit plants canaries as windows of their own: use it with --privacy-unit window, not ${privacyUnit}`);
  return { privacyUnit, dataUnit: privacyUnit, unitWindows };
}

/** The unit with the most training windows. */
export interface LargestUnit {
  readonly unit: DocumentUnit;
  /** Its key: a user, or a document id. */
  readonly key: string;
  /** k: training windows holding any of its text. */
  readonly windows: number;
}

/** What a window-level (epsilon, delta) guarantee gives a group of k windows: the largest unit's. */
export interface GroupPrivacy extends LargestUnit {
  /** k epsilon (nats). */
  readonly epsilon: number;
  /** delta sum_{j<k} e^{j epsilon} (<= k e^{(k-1) epsilon} delta, Dwork and Roth); null when it is >= 1: no guarantee for the group. */
  readonly delta: number | null;
}

/**
 * Group privacy of the largest unit of a window-level run with (epsilon, delta) per window: the
 * unit's text sits in k windows, so removing it changes k windows and the run is
 * (k eps, delta_k)-DP for it (src/audit/bound.ts groupDelta, the tighter form of Dwork and
 * Roth's k e^{(k-1) eps} delta). delta_k >= 1 (the figure says nothing) is null.
 */
export function groupPrivacy(epsilon: number, delta: number, largest: LargestUnit): GroupPrivacy {
  const k = largest.windows;
  const d = Number.isFinite(epsilon) ? groupDelta(epsilon, delta, k) : 1;
  return { ...largest, epsilon: k * epsilon, delta: d >= 1 ? null : d };
}
