import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';
import { InvalidArgumentError } from '../util/errors.js';
import { canonicalJson, readJsonFile, stringifyStudyJson, validatePointResult, validateStudyPoint } from './json.js';
import { PRESET_NAMES } from './config.js';
import {
  MITIGATIONS,
  STUDY_GRID_SCHEMA,
  STUDY_JOB_SCHEMA,
  STUDY_REPORT_SCHEMA,
  type PointResult,
  type PresetName,
  type StudyPoint,
  type StudyReport,
} from './types.js';

/** A job file: one study point, to run anywhere with `dp-canary study --job FILE --out DIR`. */
export interface StudyJob {
  schema: typeof STUDY_JOB_SCHEMA;
  point: StudyPoint;
}

/**
 * Write one job file per point, dir/<id>.json (atomically), for a batch scheduler that runs
 * each elsewhere. Returns the paths in grid order.
 */
export function writeJobFiles(points: readonly StudyPoint[], dir: string): string[] {
  if (new Set(points.map((p) => p.id)).size !== points.length) throw new InvalidArgumentError('the study has two points with the same id');
  return points.map((point) => {
    const path = join(dir, `${point.id}.json`);
    const job: StudyJob = { schema: STUDY_JOB_SCHEMA, point };
    writeFileAtomic(path, stringifyStudyJson(job));
    return path;
  });
}

/** The grid of a study folder, written when a study starts (outDir/grid.json). */
export interface StudyGridFile {
  schema: typeof STUDY_GRID_SCHEMA;
  preset?: PresetName;
  points: StudyPoint[];
}

/** Where a study folder keeps its grid. */
export function gridPath(outDir: string): string {
  return join(outDir, 'grid.json');
}

/** Save the grid of a study (atomically), so the study can be resumed or reported from its folder alone. */
export function writeStudyGrid(outDir: string, points: readonly StudyPoint[], preset?: PresetName): string {
  const file: StudyGridFile = { schema: STUDY_GRID_SCHEMA, ...(preset ? { preset } : {}), points: [...points] };
  writeFileAtomic(gridPath(outDir), stringifyStudyJson(file));
  return gridPath(outDir);
}

/** Read a study folder's grid (InvalidArgumentError when missing or damaged). */
export function readStudyGrid(outDir: string): { preset?: PresetName; points: StudyPoint[] } {
  const path = gridPath(outDir);
  if (!existsSync(path)) throw new InvalidArgumentError(`'${outDir}' is not a study folder (no grid.json)`);
  const v = readJsonFile(path) as Partial<StudyGridFile> | null;
  if (typeof v !== 'object' || v === null || v.schema !== STUDY_GRID_SCHEMA || !Array.isArray(v.points)) {
    throw new InvalidArgumentError(`'${path}' is not a dp-canary study grid`);
  }
  const points = v.points.map((p, i) => validateStudyPoint(p, `${path} point ${i}`));
  const preset = v.preset;
  if (preset !== undefined && !(PRESET_NAMES as readonly unknown[]).includes(preset)) throw new InvalidArgumentError(`'${path}': unknown preset ${String(preset)}`);
  return { ...(preset ? { preset } : {}), points };
}

/** Read and check a job file; a damaged or foreign file is an InvalidArgumentError. */
export function readJobFile(path: string): StudyPoint {
  const v = readJsonFile(path);
  if (typeof v !== 'object' || v === null || (v as { schema?: unknown }).schema !== STUDY_JOB_SCHEMA) {
    throw new InvalidArgumentError(`'${path}' is not a dp-canary study job file`);
  }
  return validateStudyPoint((v as { point: unknown }).point, path);
}


function strength(p: StudyPoint): number {
  return p.mitigation === 'dp' ? p.targetEpsilon ?? 0 : p.mitigation === 'dropout' ? p.dropout : p.mitigation === 'weight-decay' ? p.weightDecay : 0;
}

const MODE_ORDER = ['public', 'fine-tune', 'scratch'];

/**
 * Report order: the public model, then fine-tuned points, then from-scratch ones; within a mode
 * baseline, DP by increasing epsilon, dropout, weight decay, sanitised; then seed.
 */
export function comparePoints(a: StudyPoint, b: StudyPoint): number {
  return (
    MODE_ORDER.indexOf(a.mode ?? 'scratch') - MODE_ORDER.indexOf(b.mode ?? 'scratch') ||
    MITIGATIONS.indexOf(a.mitigation) - MITIGATIONS.indexOf(b.mitigation) ||
    strength(a) - strength(b) ||
    a.seed - b.seed ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

// Wall-clock fields differ between two honest runs of the same point; nothing else may.
function comparable(r: PointResult): string {
  const { ...copy } = r as unknown as Record<string, unknown>;
  delete copy.trainSeconds;
  delete copy.elapsedSeconds;
  return canonicalJson(copy);
}

function resultsIn(input: string): PointResult[] {
  let st;
  try {
    st = statSync(input);
  } catch {
    throw new InvalidArgumentError(`results path '${input}' does not exist`);
  }
  if (st.isDirectory()) {
    const dir = existsSync(join(input, 'points')) ? join(input, 'points') : input;
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.json') && !f.startsWith('.'))
      .sort();
    if (files.length === 0) throw new InvalidArgumentError(`'${input}' holds no point result files`);
    return files.map((f) => validatePointResult(readJsonFile(join(dir, f)), join(dir, f)));
  }
  const v = readJsonFile(input);
  if (typeof v === 'object' && v !== null && (v as { schema?: unknown }).schema === STUDY_REPORT_SCHEMA) {
    const pts = (v as { points?: unknown }).points;
    if (!Array.isArray(pts)) throw new InvalidArgumentError(`'${input}': "points" must be an array`);
    return pts.map((p, i) => validatePointResult(p, `${input} point ${i}`));
  }
  return [validatePointResult(v, input)];
}

/**
 * Join point results from many machines. Each input is a study folder (its points/ folder is
 * read), a folder of result files, one result file, or a report.json. The same point found
 * twice must agree on every number except wall-clock time, else InvalidArgumentError; a failed result
 * is replaced by an ok one of the same point. Points come back in report order.
 */
export function mergeResults(inputs: readonly string[]): StudyReport {
  if (inputs.length === 0) throw new InvalidArgumentError('nothing to merge: give at least one results folder or file');
  const byId = new Map<string, PointResult>();
  for (const input of inputs) {
    for (const r of resultsIn(input)) {
      const prev = byId.get(r.id);
      if (!prev || (prev.status === 'failed' && r.status === 'ok')) {
        byId.set(r.id, r);
        continue;
      }
      if (r.status === 'failed') continue;
      if (comparable(prev) !== comparable(r)) {
        throw new InvalidArgumentError(`point ${r.id} appears twice with different results (found again in '${input}')`);
      }
    }
  }
  const points = [...byId.values()].sort((a, b) => comparePoints(a.point, b.point));
  return { schema: STUDY_REPORT_SCHEMA, points };
}
