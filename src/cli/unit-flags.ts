/**
 * The privacy-unit flags `train` and `study` share, parsed and checked into run settings
 * (src/pipeline/run-config.ts); the pipeline checks how they combine (src/pipeline/units.ts).
 */
import { resolve } from 'node:path';
import { checkPrivacyUnit } from '../data/units.js';
import type { RunConfig } from '../pipeline/run-config.js';
import { InvalidArgumentError } from '../util/errors.js';
import { parseInteger } from './parse.js';

/** The unit flags as commander gives them. */
export interface UnitFlags {
  privacyUnit?: string;
  dataUnit?: string;
  unitWindows?: string;
  userMap?: string;
  userPattern?: string;
}

/** The privacy-unit flags shared by train and study, parsed and checked (RunSettings fields). */
export function unitSettingsFromFlags(f: UnitFlags): Partial<RunConfig> {
  const s: Partial<RunConfig> = {};
  if (f.privacyUnit !== undefined) s.privacyUnit = checkPrivacyUnit(f.privacyUnit, '--privacy-unit');
  if (f.dataUnit !== undefined) {
    if (f.dataUnit !== 'document' && f.dataUnit !== 'user') throw new InvalidArgumentError(`--data-unit must be document or user; got '${f.dataUnit}'`);
    s.dataUnit = f.dataUnit;
  }
  if (f.unitWindows !== undefined) {
    if (s.privacyUnit === undefined || s.privacyUnit === 'window') throw new InvalidArgumentError('--unit-windows applies to --privacy-unit document or user');
    s.unitWindows = parseInteger('--unit-windows', f.unitWindows, { min: 1 });
  }
  if (f.userMap !== undefined && f.userPattern !== undefined) throw new InvalidArgumentError('give --user-map or --user-pattern, not both');
  if (f.userMap !== undefined) s.userMap = resolve(f.userMap);
  if (f.userPattern !== undefined) s.userPattern = f.userPattern;
  return s;
}
