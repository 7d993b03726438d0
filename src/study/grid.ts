import { InvalidArgumentError } from '../util/errors.js';
import { validateStudyPoint } from './json.js';

export { PRESET_NAMES, type GridAxes, type StudyConfig, type StudyOverrides } from './config.js';
import { ACCOUNTANT_NAMES, isAccountantName } from '../accountant/accountant.js';
import { parseFormat } from '../canary/format.js';
import { canaryFormatPattern } from '../data/sanitize.js';
import { PRIVACY_UNITS, isPrivacyUnit, type DocumentUnit, type PrivacyUnit } from '../data/units.js';
import { PRESETS, PRESET_NAMES, type GridAxes, type StudyConfig, type StudyOverrides } from './config.js';
import { MITIGATIONS, STUDY_MODES, isMitigation, type Mitigation, type PointMode, type PresetName, type SharedSettings, type StudyMode, type StudyPoint, type TrainingRecipe } from './types.js';


/** Shared settings that presets leave unset (the one-run audit is off unless asked for). */
const OPTIONAL_SHARED_KEYS = new Set(['fineTuneUnitDpRecipe', 'auditCanaries', 'auditRepeats', 'auditFormat', 'accountant', 'dataUnit', 'unitWindows', 'userMap', 'userPattern', 'naturalSecrets', 'heads', 'ffnSize']);

const AXIS_KEYS = new Set(['mitigations', 'dpEpsilons', 'dropoutRates', 'weightDecays', 'seeds', 'modes', 'scratchMitigations', 'scratchDpEpsilons', 'privacyUnits', 'windowDpEpsilons']);

/**
 * A preset with overrides applied and checked. Unknown keys and out-of-range values are
 * InvalidArgumentErrors (they usually come from CLI flags or a config file).
 */
export function resolveStudyConfig(preset: PresetName = 'default', overrides: StudyOverrides = {}): StudyConfig {
  const base = PRESETS[preset];
  if (!base) throw new InvalidArgumentError(`unknown preset '${String(preset)}' (use ${PRESET_NAMES.join(', ')})`);
  const shared: SharedSettings = structuredClone(base.shared);
  const axes: GridAxes = structuredClone(base.axes);
  // A grid given on the command line applies to every mode unless the scratch subset is given too.
  if ((overrides.mitigations !== undefined || overrides.dpEpsilons !== undefined) && overrides.scratchMitigations === undefined) {
    delete axes.scratchMitigations;
    delete axes.scratchDpEpsilons;
  }
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) continue;
    if (AXIS_KEYS.has(k)) (axes as unknown as Record<string, unknown>)[k] = structuredClone(v);
    else if (k in shared || OPTIONAL_SHARED_KEYS.has(k)) (shared as unknown as Record<string, unknown>)[k] = structuredClone(v);
    else throw new InvalidArgumentError(`unknown study setting '${k}'`);
  }
  checkConfig(shared, axes);
  checkUnits(shared, axes);
  return { preset, shared, axes };
}

/**
 * The units of a study: a known list of privacy units, at most one unit larger than a window
 * (the data is grouped one way for all points), and the shared dataUnit set to it (or checked
 * against it); m an integer >= 1; the per-window audit only without such units.
 */
function checkUnits(shared: SharedSettings, axes: GridAxes): void {
  const units = axes.privacyUnits;
  if (units !== undefined) {
    if (!Array.isArray(units) || units.length === 0 || units.some((u) => !isPrivacyUnit(u)) || new Set(units).size !== units.length) {
      throw new InvalidArgumentError(`privacy units must be a non-empty list of ${PRIVACY_UNITS.join(', ')} without repeats`);
    }
    const larger = units.filter((u): u is DocumentUnit => u !== 'window');
    if (larger.length > 1) throw new InvalidArgumentError(`one study groups its data one way: give window and at most one of document, user (got ${units.join(', ')})`);
    if (larger.length === 1) {
      if (shared.dataUnit !== undefined && shared.dataUnit !== larger[0]) {
        throw new InvalidArgumentError(`--privacy-unit ${larger[0]} needs the data grouped by ${larger[0]} (--data-unit ${shared.dataUnit} was given)`);
      }
      shared.dataUnit = larger[0];
      if (shared.auditCanaries !== undefined) throw new InvalidArgumentError(`the one-run audit is per window: use it without --privacy-unit ${larger[0]}`);
    }
  }
  if (shared.dataUnit !== undefined && shared.dataUnit !== 'document' && shared.dataUnit !== 'user') {
    throw new InvalidArgumentError(`--data-unit must be document or user; got '${String(shared.dataUnit)}'`);
  }
  if (shared.unitWindows !== undefined && !(Number.isSafeInteger(shared.unitWindows) && shared.unitWindows >= 1)) {
    throw new InvalidArgumentError(`--unit-windows must be an integer >= 1, got ${shared.unitWindows}`);
  }
  if (shared.userMap !== undefined && shared.userPattern !== undefined) throw new InvalidArgumentError('give --user-map or --user-pattern, not both');
}

function checkConfig(shared: SharedSettings, axes: GridAxes): void {
  const positiveList = (name: string, xs: unknown, max = Infinity): void => {
    if (!Array.isArray(xs) || xs.length === 0 || xs.some((x) => typeof x !== 'number' || !(x > 0) || !(x < max) || !Number.isFinite(x))) {
      throw new InvalidArgumentError(`${name} must be a non-empty list of numbers in (0, ${max})`);
    }
    if (new Set(xs).size !== xs.length) throw new InvalidArgumentError(`${name} has repeated values`);
  };
  if (!Array.isArray(axes.mitigations) || axes.mitigations.length === 0 || axes.mitigations.some((m) => !isMitigation(m))) {
    throw new InvalidArgumentError(`mitigations must be a non-empty list of ${MITIGATIONS.join(', ')}`);
  }
  if (axes.mitigations.includes('dp')) positiveList('DP target epsilons', axes.dpEpsilons);
  if (!Array.isArray(axes.modes) || axes.modes.length === 0 || axes.modes.some((m) => !STUDY_MODES.includes(m)) || new Set(axes.modes).size !== axes.modes.length) {
    throw new InvalidArgumentError(`modes must be a non-empty list of ${STUDY_MODES.join(', ')}`);
  }
  if (axes.scratchMitigations !== undefined) {
    const sm = axes.scratchMitigations;
    if (!Array.isArray(sm) || sm.length === 0 || sm.some((m) => !axes.mitigations.includes(m))) {
      throw new InvalidArgumentError('scratch mitigations must be a non-empty subset of the mitigations');
    }
    if (sm.includes('dp') && axes.scratchDpEpsilons !== undefined) positiveList('scratch DP target epsilons', axes.scratchDpEpsilons);
  }
  const recipe = (name: string, r: TrainingRecipe): void => {
    if (typeof r !== 'object' || r === null) throw new InvalidArgumentError(`${name} must be an object {batchSize, learningRate, epochs, clip}`);
    for (const k of ['batchSize', 'learningRate', 'epochs', 'clip'] as const) {
      if (!(typeof r[k] === 'number' && r[k] > 0 && Number.isFinite(r[k]))) throw new InvalidArgumentError(`${name}.${k} must be a positive number, got ${String(r[k])}`);
    }
    if (!Number.isSafeInteger(r.batchSize)) throw new InvalidArgumentError(`${name}.batchSize must be an integer, got ${r.batchSize}`);
  };
  recipe('the DP recipe', shared.dpRecipe);
  recipe('the fine-tuning recipe', shared.fineTuneRecipe);
  recipe('the DP fine-tuning recipe', shared.fineTuneDpRecipe);
  recipe('the public model recipe', shared.publicRecipe);
  if (shared.fineTuneUnitDpRecipe !== undefined) recipe('the per-unit DP fine-tuning recipe', shared.fineTuneUnitDpRecipe);
  if (!(Number.isSafeInteger(shared.physicalBatchSize) && shared.physicalBatchSize >= 1)) {
    throw new InvalidArgumentError(`the physical batch size must be an integer >= 1, got ${shared.physicalBatchSize}`);
  }
  if (axes.modes.includes('fine-tune')) {
    if (!(shared.publicCorpusChars > 0)) throw new InvalidArgumentError(`the public corpus size must be > 0 characters, got ${shared.publicCorpusChars}`);
    if (shared.publicCorpus === shared.corpus && shared.corpus !== 'brown') {
      throw new InvalidArgumentError('the public corpus must differ from the private corpus (fine-tune mode)');
    }
  }
  if (axes.mitigations.includes('dropout')) positiveList('dropout rates', axes.dropoutRates, 1);
  if (axes.mitigations.includes('weight-decay')) positiveList('weight decays', axes.weightDecays);
  if (!Array.isArray(axes.seeds) || axes.seeds.length === 0 || axes.seeds.some((s) => !Number.isSafeInteger(s) || s < 0)) {
    throw new InvalidArgumentError('seeds must be a non-empty list of non-negative integers');
  }
  if (new Set(axes.seeds).size !== axes.seeds.length) throw new InvalidArgumentError('seeds has repeated values');
  if (!(shared.validationFraction > 0 && shared.validationFraction < 1)) {
    throw new InvalidArgumentError(`the validation fraction must be in (0, 1), got ${shared.validationFraction}`);
  }
  if (!(shared.delta > 0 && shared.delta < 1)) throw new InvalidArgumentError(`delta must be in (0, 1), got ${shared.delta}`);
  if (!(shared.clip > 0)) throw new InvalidArgumentError(`the clipping norm must be > 0, got ${shared.clip}`);
  if (!(shared.learningRate > 0)) throw new InvalidArgumentError(`the learning rate must be > 0, got ${shared.learningRate}`);
  if (!(shared.batchSize >= 1)) throw new InvalidArgumentError(`the batch size must be >= 1, got ${shared.batchSize}`);
  const ins = shared.insertions;
  if (!Array.isArray(ins) || ins.length === 0 || ins.some((r) => !Number.isSafeInteger(r) || r < 1)) {
    throw new InvalidArgumentError('insertion counts must be a non-empty list of positive integers');
  }
  if (new Set(ins).size !== ins.length) throw new InvalidArgumentError('insertion counts have repeated values');
  if (shared.accountant !== undefined && !isAccountantName(shared.accountant)) {
    throw new InvalidArgumentError(`the accountant must be ${ACCOUNTANT_NAMES.join(' or ')}, got '${String(shared.accountant)}'`);
  }
  if (shared.auditCanaries !== undefined && !(Number.isSafeInteger(shared.auditCanaries) && shared.auditCanaries >= 1)) {
    throw new InvalidArgumentError(`the number of audit canaries must be an integer >= 1, got ${shared.auditCanaries}`);
  }
  if (shared.auditRepeats !== undefined && !(Number.isSafeInteger(shared.auditRepeats) && shared.auditRepeats >= 1)) {
    throw new InvalidArgumentError(`audit repeats must be an integer >= 1, got ${shared.auditRepeats}`);
  }
  canaryFormatPattern(parseFormat(shared.canaryFormat)); // InvalidArgumentError when it is not a valid canary format
}

/** Number as an id fragment: "3", "0.5", "0.001", "1e-7", "1e21" (no '+'). */
function idNumber(x: number): string {
  return String(x).replace('+', '');
}

/** Id of a configuration (without the seed), e.g. "dp-eps3", "dp-eps3-user", "dropout0.5", "wd0.001". */
function configId(m: Mitigation, strength?: number, unit: PrivacyUnit = 'window'): string {
  switch (m) {
    case 'dp':
      return `dp-eps${idNumber(strength!)}${unit === 'window' ? '' : `-${unit}`}`;
    case 'dropout':
      return `dropout${idNumber(strength!)}`;
    case 'weight-decay':
      return `wd${idNumber(strength!)}`;
    default:
      return m;
  }
}

/** Id of the study's public model point. */
export const PUBLIC_POINT_ID = 'public';

/** The recipe a point of this mode, mitigation and privacy unit trains with. */
export function recipeOf(shared: SharedSettings, mode: PointMode, mitigation: Mitigation, unit: PrivacyUnit = 'window'): TrainingRecipe {
  if (mode === 'public') return shared.publicRecipe;
  if (mode === 'fine-tune' && mitigation === 'dp' && unit !== 'window' && shared.fineTuneUnitDpRecipe) return shared.fineTuneUnitDpRecipe;
  if (mode === 'fine-tune') return mitigation === 'dp' ? shared.fineTuneDpRecipe : shared.fineTuneRecipe;
  if (mitigation === 'dp') return shared.dpRecipe;
  return { batchSize: shared.batchSize, learningRate: shared.learningRate, epochs: shared.epochs, clip: shared.clip };
}

/**
 * The study's public model as a point: trained once without DP on the public corpus (which holds
 * no canaries), measured on the private part's held-out text and canaries as a reference row, and
 * the starting point of every fine-tune point. Its seed is the data seed, so the same shared
 * settings always give the same public model (a job file can rebuild it: publicPointFor).
 */
export function publicPoint(shared: SharedSettings): StudyPoint {
  const seed = shared.dataSeed;
  const point: StudyPoint = {
    ...structuredClone(shared),
    ...recipeOf(shared, 'public', 'none'),
    id: PUBLIC_POINT_ID,
    mode: 'public',
    mitigation: 'none',
    dropout: 0,
    weightDecay: 0,
    seed,
    // It never saw a canary: per-epoch exposure would only measure noise.
    exposureEachEpoch: false,
  };
  return validateStudyPoint(point, 'the public model point');
}

/** The public point a fine-tune point starts from, rebuilt from the settings it carries. */
export function publicPointFor(point: StudyPoint): StudyPoint {
  const { id: _i, mode: _m, initFromPoint: _f, mitigation: _g, dropout: _d, weightDecay: _w, seed: _s, targetEpsilon: _t, privacyUnit: _u, ...shared } = point;
  void [_i, _m, _f, _g, _d, _w, _s, _t, _u];
  return publicPoint(shared);
}

/**
 * The grid: every mode, then every mitigation at every strength, once per seed, in a stable
 * order (fine-tune points after the public point they start from). Each point is a plain object
 * with the shared settings spread in and its own recipe (batch size, learning rate, epochs, clip).
 */
export function buildGrid(config: StudyConfig): StudyPoint[] {
  const { shared, axes } = config;
  const points: StudyPoint[] = [];
  const add = (mode: StudyMode, m: Mitigation, seed: number, extra: Partial<StudyPoint>, strength?: number): void => {
    const point: StudyPoint = {
      ...structuredClone(shared),
      ...recipeOf(shared, mode, m, extra.privacyUnit),
      id: `${mode === 'fine-tune' ? 'ft-' : ''}${configId(m, strength, extra.privacyUnit)}-seed${seed}`,
      mode,
      ...(mode === 'fine-tune' ? { initFromPoint: PUBLIC_POINT_ID } : {}),
      mitigation: m,
      dropout: 0,
      weightDecay: 0,
      seed,
      ...extra,
    };
    points.push(validateStudyPoint(point, `grid point ${point.id}`));
  };
  const modes = STUDY_MODES.filter((m) => axes.modes.includes(m));
  if (modes.includes('fine-tune')) points.push(publicPoint(shared));
  for (const mode of modes) {
    const mitigations = mode === 'scratch' && axes.scratchMitigations ? axes.scratchMitigations : axes.mitigations;
    const epsilons = mode === 'scratch' && axes.scratchDpEpsilons ? axes.scratchDpEpsilons : axes.dpEpsilons;
    for (const m of mitigations) {
      const strengths: (number | undefined)[] =
        m === 'dp' ? epsilons : m === 'dropout' ? axes.dropoutRates : m === 'weight-decay' ? axes.weightDecays : [undefined];
      for (const x of strengths) {
        const extra: Partial<StudyPoint> =
          m === 'dp' ? { targetEpsilon: x } : m === 'dropout' ? { dropout: x } : m === 'weight-decay' ? { weightDecay: x } : {};
        // DP points: one per privacy unit (a window point carries no privacyUnit, as before units existed).
        const units: PrivacyUnit[] = m === 'dp' ? (axes.privacyUnits ?? ['window']) : ['window'];
        for (const unit of units) {
          if (m === 'dp' && unit === 'window' && axes.windowDpEpsilons && !axes.windowDpEpsilons.includes(x!)) continue;
          const own: Partial<StudyPoint> = unit === 'window' ? extra : { ...extra, privacyUnit: unit };
          for (const seed of axes.seeds) add(mode, m, seed, own, x);
        }
      }
    }
  }
  const ids = new Set(points.map((p) => p.id));
  if (ids.size !== points.length) throw new InvalidArgumentError('the grid has two points with the same id (repeated values in a list?)');
  return points;
}

/** Shorthand: the grid of a preset with overrides. */
export function studyGrid(preset: PresetName = 'default', overrides: StudyOverrides = {}): StudyPoint[] {
  return buildGrid(resolveStudyConfig(preset, overrides));
}
