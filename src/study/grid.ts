import { UserError } from '../util/errors.js';
import { validateStudyPoint } from './json.js';
import { canaryFormatPattern } from './sanitize.js';
import type { Mitigation, PresetName, SharedSettings, StudyPoint } from './types.js';

/** Which mitigations the grid holds and at which strengths. */
export interface GridAxes {
  /** Mitigations to include (each at all of its strengths below). */
  mitigations: Mitigation[];
  /** Target epsilons of the 'dp' points (natural-log units, > 0). */
  dpEpsilons: number[];
  /** Dropout rates of the 'dropout' points, in (0, 1). */
  dropoutRates: number[];
  /** L2 weight-decay coefficients of the 'weight-decay' points, > 0. */
  weightDecays: number[];
  /** Training seeds; every configuration runs once per seed. */
  seeds: number[];
}

/** A fully resolved study: shared settings plus grid axes. */
export interface StudyConfig {
  preset: PresetName;
  shared: SharedSettings;
  axes: GridAxes;
}

/** Changes to a preset: any shared setting or grid axis. */
export type StudyOverrides = Partial<SharedSettings> & Partial<GridAxes>;

const ALL_MITIGATIONS: Mitigation[] = ['none', 'dp', 'dropout', 'weight-decay', 'sanitize'];

// Starting points for tuning; the README records what the default study was tuned to show.
const QUICK: StudyConfig = {
  preset: 'quick',
  shared: {
    corpus: 'brown',
    corpusMaxChars: 30_000,
    validationFraction: 0.1,
    dataSeed: 1,
    tokenizer: 'char',
    lowercase: true,
    maxVocab: 64,
    cell: 'lstm',
    embeddingDim: 16,
    hiddenSize: 64,
    layers: 1,
    epochs: 8,
    optimizer: 'adam',
    learningRate: 0.01,
    seqLength: 32,
    batchSize: 32,
    clip: 1,
    delta: 1e-5,
    canaryFormat: 'the random number is {digits:4}',
    insertions: [1, 8, 32],
    exposureReferences: 1000,
    extractionMaxQueries: 20_000,
    exposureEachEpoch: false,
  },
  axes: { mitigations: ALL_MITIGATIONS, dpEpsilons: [8], dropoutRates: [0.5], weightDecays: [1e-3], seeds: [1] },
};

const DEFAULT: StudyConfig = {
  preset: 'default',
  shared: {
    ...QUICK.shared,
    corpusMaxChars: 200_000,
    embeddingDim: 32,
    hiddenSize: 128,
    epochs: 10,
    learningRate: 0.005,
    seqLength: 64,
    batchSize: 64,
    canaryFormat: 'the random number is {digits:6}',
    insertions: [1, 4, 16, 64],
    exposureReferences: 10_000,
    extractionMaxQueries: 100_000,
    exposureEachEpoch: true,
  },
  // 1000 stands for "very large": almost no noise, still clipped and sampled.
  axes: { mitigations: ALL_MITIGATIONS, dpEpsilons: [1, 3, 8, 1000], dropoutRates: [0.5], weightDecays: [1e-3], seeds: [1] },
};

const PAPER: StudyConfig = {
  preset: 'paper',
  shared: {
    ...DEFAULT.shared,
    corpusMaxChars: 6_000_000, // the whole Brown Corpus (5.9 M characters)
    maxVocab: 100,
    lowercase: false,
    embeddingDim: 64,
    hiddenSize: 256,
    layers: 2,
    epochs: 20,
    learningRate: 0.002,
    seqLength: 100,
    batchSize: 256,
    canaryFormat: 'the random number is {digits:9}',
    insertions: [1, 4, 16, 64, 256],
    exposureReferences: 100_000,
    extractionMaxQueries: 1_000_000,
  },
  axes: { mitigations: ALL_MITIGATIONS, dpEpsilons: [1, 3, 8, 1e6], dropoutRates: [0.2, 0.5], weightDecays: [1e-4, 1e-3], seeds: [1, 2, 3] },
};

const PRESETS: Record<PresetName, StudyConfig> = { quick: QUICK, default: DEFAULT, paper: PAPER };

/** Names of the presets. */
export const PRESET_NAMES: readonly PresetName[] = ['default', 'quick', 'paper'];

const AXIS_KEYS = new Set(['mitigations', 'dpEpsilons', 'dropoutRates', 'weightDecays', 'seeds']);

/**
 * A preset with overrides applied and checked. Unknown keys and out-of-range values are
 * UserErrors (they usually come from CLI flags or a config file).
 */
export function resolveStudyConfig(preset: PresetName = 'default', overrides: StudyOverrides = {}): StudyConfig {
  const base = PRESETS[preset];
  if (!base) throw new UserError(`unknown preset '${String(preset)}' (use ${PRESET_NAMES.join(', ')})`);
  const shared: SharedSettings = structuredClone(base.shared);
  const axes: GridAxes = structuredClone(base.axes);
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) continue;
    if (AXIS_KEYS.has(k)) (axes as unknown as Record<string, unknown>)[k] = structuredClone(v);
    else if (k in shared) (shared as unknown as Record<string, unknown>)[k] = structuredClone(v);
    else throw new UserError(`unknown study setting '${k}'`);
  }
  checkConfig(shared, axes);
  return { preset, shared, axes };
}

function checkConfig(shared: SharedSettings, axes: GridAxes): void {
  const positiveList = (name: string, xs: unknown, max = Infinity): void => {
    if (!Array.isArray(xs) || xs.length === 0 || xs.some((x) => typeof x !== 'number' || !(x > 0) || !(x < max) || !Number.isFinite(x))) {
      throw new UserError(`${name} must be a non-empty list of numbers in (0, ${max})`);
    }
    if (new Set(xs).size !== xs.length) throw new UserError(`${name} has repeated values`);
  };
  if (!Array.isArray(axes.mitigations) || axes.mitigations.length === 0 || axes.mitigations.some((m) => !ALL_MITIGATIONS.includes(m))) {
    throw new UserError(`mitigations must be a non-empty list of ${ALL_MITIGATIONS.join(', ')}`);
  }
  if (axes.mitigations.includes('dp')) positiveList('DP target epsilons', axes.dpEpsilons);
  if (axes.mitigations.includes('dropout')) positiveList('dropout rates', axes.dropoutRates, 1);
  if (axes.mitigations.includes('weight-decay')) positiveList('weight decays', axes.weightDecays);
  if (!Array.isArray(axes.seeds) || axes.seeds.length === 0 || axes.seeds.some((s) => !Number.isSafeInteger(s) || s < 0)) {
    throw new UserError('seeds must be a non-empty list of non-negative integers');
  }
  if (new Set(axes.seeds).size !== axes.seeds.length) throw new UserError('seeds has repeated values');
  if (!(shared.validationFraction > 0 && shared.validationFraction < 1)) {
    throw new UserError(`the validation fraction must be in (0, 1), got ${shared.validationFraction}`);
  }
  if (!(shared.delta > 0 && shared.delta < 1)) throw new UserError(`delta must be in (0, 1), got ${shared.delta}`);
  if (!(shared.clip > 0)) throw new UserError(`the clipping norm must be > 0, got ${shared.clip}`);
  if (!(shared.learningRate > 0)) throw new UserError(`the learning rate must be > 0, got ${shared.learningRate}`);
  if (!(shared.batchSize >= 1)) throw new UserError(`the batch size must be >= 1, got ${shared.batchSize}`);
  const ins = shared.insertions;
  if (!Array.isArray(ins) || ins.length === 0 || ins.some((r) => !Number.isSafeInteger(r) || r < 1)) {
    throw new UserError('insertion counts must be a non-empty list of positive integers');
  }
  if (new Set(ins).size !== ins.length) throw new UserError('insertion counts have repeated values');
  canaryFormatPattern(shared.canaryFormat); // parses the format: UserError when it is not a valid canary format
}

/** Number as an id fragment: "3", "0.5", "0.001", "1e-7", "1e21" (no '+'). */
function idNumber(x: number): string {
  return String(x).replace('+', '');
}

/** Id of a configuration (without the seed), e.g. "dp-eps3", "dropout0.5", "wd0.001". */
function configId(m: Mitigation, strength?: number): string {
  switch (m) {
    case 'dp':
      return `dp-eps${idNumber(strength!)}`;
    case 'dropout':
      return `dropout${idNumber(strength!)}`;
    case 'weight-decay':
      return `wd${idNumber(strength!)}`;
    default:
      return m;
  }
}

/**
 * The grid: every mitigation at every strength, once per seed, in a stable order (by
 * mitigation in the order given, then strength, then seed). Each point is a plain object
 * with the shared settings spread in.
 */
export function buildGrid(config: StudyConfig): StudyPoint[] {
  const { shared, axes } = config;
  const points: StudyPoint[] = [];
  const add = (m: Mitigation, seed: number, extra: Partial<StudyPoint>, strength?: number): void => {
    const point: StudyPoint = {
      ...structuredClone(shared),
      id: `${configId(m, strength)}-seed${seed}`,
      mitigation: m,
      dropout: 0,
      weightDecay: 0,
      seed,
      ...extra,
    };
    points.push(validateStudyPoint(point, `grid point ${point.id}`));
  };
  for (const m of axes.mitigations) {
    const strengths: (number | undefined)[] =
      m === 'dp' ? axes.dpEpsilons : m === 'dropout' ? axes.dropoutRates : m === 'weight-decay' ? axes.weightDecays : [undefined];
    for (const x of strengths) {
      const extra: Partial<StudyPoint> =
        m === 'dp' ? { targetEpsilon: x } : m === 'dropout' ? { dropout: x } : m === 'weight-decay' ? { weightDecay: x } : {};
      for (const seed of axes.seeds) add(m, seed, extra, x);
    }
  }
  const ids = new Set(points.map((p) => p.id));
  if (ids.size !== points.length) throw new UserError('the grid has two points with the same id (repeated values in a list?)');
  return points;
}

/** Shorthand: the grid of a preset with overrides. */
export function studyGrid(preset: PresetName = 'default', overrides: StudyOverrides = {}): StudyPoint[] {
  return buildGrid(resolveStudyConfig(preset, overrides));
}
