import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ensureDir, writeFileAtomic } from '../util/atomic-write.js';
import { InvalidArgumentError } from '../util/errors.js';
import { writeStudyGrid } from './jobs.js';
import { canonicalJson, readJsonFile, stringifyStudyJson, validatePointResult } from './json.js';
import {
  POINT_RESULT_SCHEMA,
  STUDY_REPORT_SCHEMA,
  type FailedPointResult,
  type OkPointResult,
  type PointMeasurement,
  type PointResult,
  type PresetName,
  type StudyPoint,
  type StudyReport,
} from './types.js';

/** What a point function gets besides its point. */
export interface PointContext {
  /** A folder of its own for the point's files (model, ledger, canary manifest): outDir/runs/<id>. */
  workDir: string;
  /** Report progress (one short line, e.g. "epoch 3/10, loss 1.93 nats"). */
  progress(message: string): void;
  /**
   * The most threads the point may use now: its share of the cores (1 while other points fill
   * them; more when cores are free, as at the end of a study). Absent: the point decides.
   */
  threads?: number;
  /** Called when `threads` changes (other points started or finished). */
  onThreadsChange?(listener: (threads: number) => void): void;
}

/** Trains and measures one point in this thread. Throwing marks the point failed. */
export type RunPoint = (point: StudyPoint, ctx: PointContext) => Promise<PointMeasurement>;

/**
 * A point function that worker threads import: `module` is a path (absolute, or relative to
 * the current directory) or a file: URL of an ES module that plain Node can load (so the
 * compiled .js under dist/, not a .ts source), and `exportName` a {@link RunPoint} export.
 */
export interface WorkerPointFunction {
  module: string;
  exportName: string;
}

/** Progress of a study, one event per change. */
export interface StudyProgress {
  kind: 'skipped' | 'started' | 'progress' | 'finished' | 'failed';
  id: string;
  /** 0-based position of the point in the grid. */
  index: number;
  total: number;
  /** Progress text, or the error of a failed point. */
  message?: string;
  result?: PointResult;
}

export interface RunStudyOptions {
  /** Study folder: results go to outDir/points/<id>.json, point work files to outDir/runs/<id>/. */
  outDir: string;
  /**
   * Points run at once in worker mode (default 1, capped at the number of cores and of
   * points). An in-process point function always runs points one after another.
   */
  concurrency?: number;
  /**
   * Cores the study may use (default: all available). Points running at once share them:
   * each gets an equal share as its thread budget (PointContext.threads), which changes as
   * points start and finish, so a point running alone can train data-parallel.
   */
  cores?: number;
  /**
   * The most threads one point may use, whatever its share of the cores (default: no cap).
   * With 1, every point trains and scores in one thread, so its numbers do not depend on how
   * many points happened to run beside it (data-parallel sums differ in rounding).
   */
  threadsPerPoint?: number;
  /** Run again points whose saved result is 'failed' (default true); 'ok' results are always reused. */
  retryFailed?: boolean;
  onProgress?: (event: StudyProgress) => void;
  /** Preset name recorded in the returned report and in grid.json. */
  preset?: PresetName;
  /**
   * Save the grid as outDir/grid.json (default true). Turn off when several single-point
   * jobs share one output folder, so they do not overwrite each other's grid.
   */
  writeGrid?: boolean;
}

/** Where a point's result file lives in a study folder. */
export function pointResultPath(outDir: string, id: string): string {
  return join(outDir, 'points', `${id}.json`);
}

/** The saved result of `point` if its file exists, is valid and belongs to exactly this point. */
export function loadSavedResult(outDir: string, point: StudyPoint): PointResult | undefined {
  const path = pointResultPath(outDir, point.id);
  if (!existsSync(path)) return undefined;
  try {
    const r = validatePointResult(readJsonFile(path), path);
    // A changed setting under the same id means the old result answers another question.
    return canonicalJson(r.point) === canonicalJson(point) ? r : undefined;
  } catch (err) {
    if (err instanceof InvalidArgumentError) return undefined; // damaged or foreign: run the point again
    throw err;
  }
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return (msg.split('\n')[0] ?? '').trim() || 'unknown error';
}

/** Wrap a measurement as a result, checking it is complete and survives a JSON round trip. */
function okResult(point: StudyPoint, m: PointMeasurement): OkPointResult {
  const result: OkPointResult = { ...m, schema: POINT_RESULT_SCHEMA, id: point.id, point, status: 'ok' };
  validatePointResult(JSON.parse(stringifyStudyJson(result)), `result of point ${point.id}`);
  return result;
}

function failedResult(point: StudyPoint, err: unknown, started: number): FailedPointResult {
  return {
    schema: POINT_RESULT_SCHEMA,
    id: point.id,
    point,
    status: 'failed',
    error: firstLine(err),
    elapsedSeconds: (performance.now() - started) / 1000,
  };
}

// The worker's code is plain JavaScript evaluated by Node, so it runs whether the study
// runner itself was loaded from TypeScript sources (vitest) or from dist.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  const mod = await import(workerData.moduleUrl);
  const fn = mod[workerData.exportName];
  if (typeof fn !== 'function') { const err = new Error('module ' + workerData.moduleUrl + ' has no function export ' + workerData.exportName); throw err; }
  const listeners = [];
  const ctx = {
    workDir: workerData.workDir,
    progress: (m) => parentPort.postMessage({ type: 'progress', message: String(m) }),
    threads: workerData.threads,
    onThreadsChange: (f) => listeners.push(f),
  };
  parentPort.on('message', (m) => {
    if (m && m.type === 'threads') {
      ctx.threads = m.threads;
      for (const f of listeners) f(m.threads);
    }
  });
  const measurement = await fn(workerData.point, ctx);
  parentPort.postMessage({ type: 'done', measurement });
})().catch((err) => {
  parentPort.postMessage({ type: 'error', message: err && err.message ? String(err.message) : String(err) });
});
`;

function moduleUrl(spec: string): string {
  if (spec.startsWith('file:')) return spec;
  return pathToFileURL(isAbsolute(spec) ? spec : resolve(spec)).href;
}

/** A point's thread budget as the runner sees it: the current share, and how to send a new one. */
interface ThreadShare {
  threads: number;
  send: ((threads: number) => void) | null;
}

function runInWorker(fn: WorkerPointFunction, point: StudyPoint, workDir: string, progress: (m: string) => void, share: ThreadShare): Promise<PointMeasurement> {
  return new Promise((resolvePromise, reject) => {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { moduleUrl: moduleUrl(fn.module), exportName: fn.exportName, point, workDir, threads: share.threads },
    });
    share.send = (threads) => worker.postMessage({ type: 'threads', threads });
    let settled = false;
    const settle = (f: () => void): void => {
      if (!settled) {
        settled = true;
        f();
      }
    };
    worker.on('message', (msg: { type: string; message?: string; measurement?: PointMeasurement }) => {
      if (msg.type === 'progress') progress(msg.message ?? '');
      else if (msg.type === 'done') settle(() => resolvePromise(msg.measurement as PointMeasurement));
      else if (msg.type === 'error') settle(() => reject(new Error(msg.message)));
      // Stop the thread even if a library (tfjs) left handles open.
      if (msg.type !== 'progress') void worker.terminate();
    });
    worker.on('error', (err) => settle(() => reject(err)));
    worker.on('exit', (code) => settle(() => reject(new Error(`worker thread exited (code ${code}) before finishing the point`))));
  });
}

/**
 * Run every point of a study and return all results in grid order.
 *
 * - The grid is saved first as outDir/grid.json (see readStudyGrid; `writeGrid: false` skips it).
 * - Each finished point's result is written atomically to outDir/points/<id>.json at once,
 *   so a killed study loses only the points in flight; on the next call, points whose result
 *   file is valid and holds the same point settings are skipped (failed ones are retried
 *   unless `retryFailed` is false).
 * - A point that throws (or returns an incomplete measurement) is recorded as 'failed' with
 *   its error; the other points still run.
 * - `runPoint` is either a function (runs in this thread, one point at a time; the default)
 *   or a module + export that worker threads import (up to `concurrency` points at once).
 */
export async function runStudy(
  points: readonly StudyPoint[],
  runPoint: RunPoint | WorkerPointFunction,
  opts: RunStudyOptions,
): Promise<StudyReport> {
  const ids = new Set(points.map((p) => p.id));
  if (ids.size !== points.length) throw new InvalidArgumentError('the study has two points with the same id');
  const concurrency = opts.concurrency ?? 1;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) throw new InvalidArgumentError(`concurrency must be an integer >= 1, got ${concurrency}`);
  ensureDir(join(opts.outDir, 'points'));
  if (opts.writeGrid ?? true) writeStudyGrid(opts.outDir, points, opts.preset);
  const total = points.length;
  const results: (PointResult | undefined)[] = new Array(total);
  const emit = (e: StudyProgress): void => opts.onProgress?.(e);
  const retryFailed = opts.retryFailed ?? true;
  const cores = opts.cores ?? availableParallelism();
  if (!Number.isSafeInteger(cores) || cores < 1) throw new InvalidArgumentError(`cores must be an integer >= 1, got ${cores}`);
  const cap = opts.threadsPerPoint ?? Infinity;
  if (cap !== Infinity && (!Number.isSafeInteger(cap) || cap < 1)) throw new InvalidArgumentError(`threadsPerPoint must be an integer >= 1, got ${cap}`);
  // Points in flight in worker threads, in start order, with their share of the cores.
  const running = new Map<number, ThreadShare>();
  const rebalance = (): void => {
    const n = running.size;
    let i = 0;
    for (const share of running.values()) {
      const threads = Math.min(cap, Math.max(1, Math.floor(cores / n) + (i < cores % n ? 1 : 0)));
      i++;
      if (threads === share.threads) continue;
      share.threads = threads;
      share.send?.(threads);
    }
  };

  const pending: number[] = [];
  points.forEach((p, index) => {
    const saved = loadSavedResult(opts.outDir, p);
    if (saved && (saved.status === 'ok' || !retryFailed)) {
      results[index] = saved;
      emit({ kind: 'skipped', id: p.id, index, total, result: saved });
    } else {
      pending.push(index);
    }
  });

  const runOne = async (index: number): Promise<void> => {
    const point = points[index]!;
    const workDir = join(opts.outDir, 'runs', point.id);
    ensureDir(workDir);
    const progress = (message: string): void => emit({ kind: 'progress', id: point.id, index, total, message });
    emit({ kind: 'started', id: point.id, index, total });
    const started = performance.now();
    let result: PointResult;
    try {
      let m: PointMeasurement;
      if (typeof runPoint === 'function') {
        m = await runPoint(structuredClone(point), { workDir, progress, threads: Math.min(cap, cores) });
      } else {
        const share: ThreadShare = { threads: 1, send: null };
        running.set(index, share);
        // Let the other lanes pick their points first (they do so before any promise settles),
        // so that points starting together get their shares at once instead of shrinking later.
        await Promise.resolve();
        rebalance();
        try {
          m = await runInWorker(runPoint, point, workDir, progress, share);
        } finally {
          running.delete(index);
        }
      }
      result = okResult(point, m);
    } catch (err) {
      result = failedResult(point, err, started);
    }
    writeFileAtomic(pointResultPath(opts.outDir, point.id), stringifyStudyJson(result));
    results[index] = result;
    emit({
      kind: result.status === 'ok' ? 'finished' : 'failed',
      id: point.id,
      index,
      total,
      result,
      ...(result.status === 'failed' ? { message: result.error } : {}),
    });
  };

  // Scheduling: a point that starts from another (fine-tune from the public model) waits until
  // that one has finished; points others depend on go first. A lane with nothing ready waits
  // for a running point to finish.
  const idIndex = new Map(points.map((p, i) => [p.id, i]));
  const neededBy = new Set(points.flatMap((p) => (p.initFromPoint !== undefined ? [p.initFromPoint] : [])));
  const queue = [...pending].sort((a, b) => Number(neededBy.has(points[b]!.id)) - Number(neededBy.has(points[a]!.id)) || a - b);
  const finished = (id: string): PointResult | 'waiting' | 'absent' => {
    const i = idIndex.get(id);
    if (i === undefined) return 'absent';
    return results[i] ?? 'waiting';
  };
  const wakeups: (() => void)[] = [];
  const nextReady = (): number | undefined => {
    const k = queue.findIndex((i) => {
      const dep = points[i]!.initFromPoint;
      return dep === undefined || finished(dep) !== 'waiting';
    });
    return k < 0 ? undefined : queue.splice(k, 1)[0];
  };
  const runOrSkip = async (index: number): Promise<void> => {
    const point = points[index]!;
    const dep = point.initFromPoint !== undefined ? finished(point.initFromPoint) : 'absent';
    if (typeof dep === 'object' && dep.status === 'failed') {
      const result = failedResult(point, new Error(`its starting point '${point.initFromPoint}' failed`), performance.now());
      writeFileAtomic(pointResultPath(opts.outDir, point.id), stringifyStudyJson(result));
      results[index] = result;
      emit({ kind: 'failed', id: point.id, index, total, result, message: result.error });
      return;
    }
    await runOne(index);
  };
  const lanes =
    typeof runPoint === 'function' ? 1 : Math.max(1, Math.min(concurrency, cores, pending.length));
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      for (;;) {
        const index = nextReady();
        if (index === undefined) {
          // Nothing for this lane to start: the points in flight may use its core.
          rebalance();
          if (queue.length === 0) break;
          await new Promise<void>((wake) => wakeups.push(wake));
          continue;
        }
        await runOrSkip(index);
        for (const wake of wakeups.splice(0)) wake();
      }
    }),
  );
  return {
    schema: STUDY_REPORT_SCHEMA,
    ...(opts.preset ? { preset: opts.preset } : {}),
    points: results as PointResult[],
  };
}
