import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { comparePoints, gridPath, mergeResults, readStudyGrid } from '../jobs.js';
import { POINT_RESULT_SCHEMA, STUDY_REPORT_SCHEMA, type FailedPointResult, type PointResult, type StudyReport } from '../types.js';
import type { SlurmClient } from './client.js';
import { studyStatus, type PointStatus } from './status.js';

function isStudyFolder(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory() && existsSync(gridPath(path));
}

function hasResults(dir: string): boolean {
  const points = join(dir, 'points');
  return existsSync(points) && readdirSync(points).some((f) => f.endsWith('.json') && !f.startsWith('.'));
}

/** Why a point has no result, as the report's error line. */
function missingReason(s: PointStatus): string {
  if (s.state === 'running' || s.state === 'pending') return `no result yet: ${s.state} (${s.detail})`;
  if (s.state === 'not submitted') return `no result: never run${s.detail ? ` (${s.detail})` : ''}`;
  return `no result: ${s.detail}`;
}

/**
 * mergeResults, and for every input that is a study folder (it holds grid.json): each point
 * of its grid that no input has a result for is added as failed, with the reason its status
 * gives (its Slurm job was cancelled or ran out of time, it never ran, it is still running), so
 * a report never leaves a point out silently. Folders without results yet are allowed when
 * they hold a grid. `slurm` is asked about submitted points (null: not reachable).
 */
export function mergeStudyResults(inputs: readonly string[], slurm: SlurmClient | null): StudyReport {
  const studies = inputs.filter(isStudyFolder);
  const withResults = inputs.filter((i) => !studies.includes(i) || hasResults(i));
  const merged: StudyReport = withResults.length > 0 ? mergeResults(withResults) : { schema: STUDY_REPORT_SCHEMA, points: [] };
  const have = new Set(merged.points.map((p) => p.id));
  const added: PointResult[] = [];
  let preset = merged.preset;
  for (const dir of studies) {
    const grid = readStudyGrid(dir);
    preset ??= grid.preset;
    const statuses = new Map(studyStatus(dir, slurm).points.map((s) => [s.id, s]));
    for (const point of grid.points) {
      if (have.has(point.id)) continue;
      have.add(point.id);
      const missing: FailedPointResult = { schema: POINT_RESULT_SCHEMA, id: point.id, point, status: 'failed', error: missingReason(statuses.get(point.id)!), elapsedSeconds: 0 };
      added.push(missing);
    }
  }
  const points = [...merged.points, ...added].sort((a, b) => comparePoints(a.point, b.point));
  return { schema: STUDY_REPORT_SCHEMA, ...(preset ? { preset } : {}), points };
}
