/**
 * Output folders that already hold results: `train --out` and `study --out` never replace a
 * run or a study silently (its model and privacy ledger would be lost); the user resumes it
 * or says --overwrite.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { journalPath } from '../dpsgd/checkpoint.js';
import { RUN_FILES, runPath, type RunFile } from '../pipeline/run-folder.js';
import { gridPath, readStudyGrid } from '../study/jobs.js';
import { canonicalJson } from '../study/json.js';
import { pointResultPath } from '../study/runner.js';
import type { StudyPoint } from '../study/types.js';
import { InvalidArgumentError } from '../util/errors.js';

/**
 * Make `dir` ready for a new run. When it already holds one (any run file), refuse with a
 * InvalidArgumentError unless `overwrite`, which deletes that run's files (and nothing else in the folder).
 */
export function prepareFreshRunFolder(dir: string, overwrite: boolean): void {
  const present = (Object.keys(RUN_FILES) as RunFile[]).filter((f) => existsSync(runPath(dir, f)));
  if (present.length === 0) return;
  if (!overwrite) {
    const finished = present.includes('metrics');
    throw new InvalidArgumentError(
      finished
        ? `${dir} already holds a finished run (${present.map((f) => RUN_FILES[f]).join(', ')}); pass --overwrite to replace it, or choose another --out`
        : `${dir} already holds an unfinished run (no metrics.json); pass --resume to continue it or --overwrite to start again`,
    );
  }
  for (const f of present) rmSync(runPath(dir, f), { force: true });
  rmSync(journalPath(runPath(dir, 'checkpoint')), { force: true });
}

/** The first setting that differs between two versions of a point, as "key old -> new". */
function firstDifference(old: StudyPoint, now: StudyPoint): string {
  const keys = [...new Set([...Object.keys(old), ...Object.keys(now)])].sort();
  const get = (p: StudyPoint, k: string): unknown => (p as unknown as Record<string, unknown>)[k];
  const k = keys.find((key) => canonicalJson(get(old, key)) !== canonicalJson(get(now, key)));
  return k === undefined ? 'settings' : `${k} ${canonicalJson(get(old, k)) ?? 'none'} -> ${canonicalJson(get(now, k)) ?? 'none'}`;
}

/**
 * Before a study runs into `outDir`: when the folder holds a study whose grid (grid.json)
 * differs from `points`, refuse with an InvalidArgumentError unless `overwrite`. With it, the saved results
 * and work folders of old points that are not in the new grid with the same settings are
 * deleted; unchanged points are kept and reused as usual.
 */
export function guardStudyFolder(outDir: string, points: readonly StudyPoint[], overwrite: boolean): void {
  if (!existsSync(gridPath(outDir))) return;
  let old: StudyPoint[];
  try {
    old = readStudyGrid(outDir).points;
  } catch (err) {
    if (!(err instanceof InvalidArgumentError)) throw err;
    if (!overwrite) throw new InvalidArgumentError(`${outDir} holds a damaged or foreign grid.json; pass --overwrite to replace it, or choose another --out`);
    return;
  }
  const now = new Map(points.map((p) => [p.id, p]));
  const stale = old.filter((p) => !now.has(p.id) || canonicalJson(now.get(p.id)) !== canonicalJson(p));
  if (stale.length === 0 && old.length === points.length) return;
  if (!overwrite) {
    const first = stale[0];
    const added = points.find((p) => !old.some((o) => o.id === p.id));
    const why =
      first === undefined
        ? `this grid adds point ${added!.id}`
        : now.has(first.id)
          ? `point ${first.id} has other settings: ${firstDifference(first, now.get(first.id)!)}`
          : `its point ${first.id} is not in this grid`;
    throw new InvalidArgumentError(
      `${outDir} holds a different study (${why}); pass --overwrite to replace it (points with unchanged settings are reused), or choose another --out`,
    );
  }
  for (const p of stale) {
    rmSync(pointResultPath(outDir, p.id), { force: true });
    rmSync(join(outDir, 'runs', p.id), { recursive: true, force: true });
  }
}
