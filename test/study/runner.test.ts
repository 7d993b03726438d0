import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runStudy, pointResultPath, type RunPoint, type StudyProgress } from '../../src/study/runner.js';
import { studyGrid } from '../../src/study/grid.js';
import { readStudyGrid } from '../../src/study/jobs.js';
import { validatePointResult, readJsonFile } from '../../src/study/json.js';
import type { PointResult } from '../../src/study/types.js';
import { fakePoint } from './fake-point.mjs';
import { InvalidArgumentError } from '../../src/util/errors.js';

const FAKE_MODULE = fileURLToPath(new URL('./fake-point.mjs', import.meta.url));
const points = studyGrid('quick', { dpEpsilons: [1, 8], modes: ['scratch'] });
const tmp = (): string => mkdtempSync(join(tmpdir(), 'dpc-study-'));

function counting(fn: RunPoint = fakePoint): RunPoint & { calls: string[] } {
  const calls: string[] = [];
  const f = (async (p, ctx) => {
    calls.push(p.id);
    return fn(p, ctx);
  }) as RunPoint & { calls: string[] };
  f.calls = calls;
  return f;
}

/** Everything except wall-clock time. */
const stable = (r: PointResult): unknown => {
  const { trainSeconds: _t, elapsedSeconds: _e, ...rest } = r as PointResult & { trainSeconds?: number; elapsedSeconds?: number };
  return JSON.parse(JSON.stringify(rest));
};

describe('study runner', () => {
  it('runs every point once, in grid order, and writes one valid result file per point', async () => {
    const out = tmp();
    const run = counting();
    const events: StudyProgress[] = [];
    const report = await runStudy(points, run, { outDir: out, onProgress: (e) => events.push(e) });
    expect(run.calls).toEqual(points.map((p) => p.id));
    expect(report.points.map((r) => r.id)).toEqual(points.map((p) => p.id));
    expect(readdirSync(join(out, 'points')).sort()).toEqual(points.map((p) => `${p.id}.json`).sort());
    for (const r of report.points) {
      expect(r.status).toBe('ok');
      const saved = validatePointResult(readJsonFile(pointResultPath(out, r.id)), 'saved');
      expect(stable(saved)).toEqual(stable(r));
      expect(existsSync(join(out, 'runs', r.id))).toBe(true);
    }
    // Non-private epsilon survives the JSON round trip as Infinity.
    const none = validatePointResult(readJsonFile(pointResultPath(out, 'none-seed1')), 'x');
    expect(none.status === 'ok' && none.epsilon).toBe(Infinity);
    expect(events.filter((e) => e.kind === 'finished').length).toBe(points.length);
    expect(readStudyGrid(out).points).toEqual(points);
    expect(events.some((e) => e.kind === 'progress' && e.message === `training ${points[0]!.id}`)).toBe(true);
  });

  it('resumes: finished points are not run again; missing, damaged or changed ones are', async () => {
    const out = tmp();
    await runStudy(points, fakePoint, { outDir: out });
    const again = counting();
    const events: StudyProgress[] = [];
    const report = await runStudy(points, again, { outDir: out, onProgress: (e) => events.push(e) });
    expect(again.calls).toEqual([]);
    expect(events.filter((e) => e.kind === 'skipped').length).toBe(points.length);
    expect(report.points.every((r) => r.status === 'ok')).toBe(true);

    rmSync(pointResultPath(out, points[1]!.id));
    writeFileSync(pointResultPath(out, points[2]!.id), '{"schema": "dp-canary/point-res'); // cut short by a kill
    const changed = points.map((p, i) => (i === 3 ? { ...p, epochs: p.epochs + 1 } : p));
    const third = counting();
    await runStudy(changed, third, { outDir: out });
    expect(third.calls).toEqual([points[1]!.id, points[2]!.id, points[3]!.id]);
  });

  it('isolates failures: the failing point is recorded, the others finish, and it is retried later', async () => {
    const out = tmp();
    const bad = points[2]!.id;
    const flaky = counting(async (p, ctx) => {
      if (p.id === bad) throw new Error('the GPU caught fire\nstack...');
      return fakePoint(p, ctx);
    });
    const report = await runStudy(points, flaky, { outDir: out });
    expect(flaky.calls.length).toBe(points.length);
    const failed = report.points.filter((r) => r.status === 'failed');
    expect(failed.map((r) => r.id)).toEqual([bad]);
    expect(failed[0]!.status === 'failed' && failed[0]!.error).toBe('the GPU caught fire');
    expect(report.points.filter((r) => r.status === 'ok').length).toBe(points.length - 1);
    expect(JSON.parse(readFileSync(pointResultPath(out, bad), 'utf8')).status).toBe('failed');

    const noRetry = counting();
    await runStudy(points, noRetry, { outDir: out, retryFailed: false });
    expect(noRetry.calls).toEqual([]);
    const retry = counting();
    const fixed = await runStudy(points, retry, { outDir: out });
    expect(retry.calls).toEqual([bad]);
    expect(fixed.points.every((r) => r.status === 'ok')).toBe(true);
  });

  it('records an incomplete measurement as a failure instead of writing a broken result', async () => {
    const out = tmp();
    const report = await runStudy(points.slice(0, 2), async (p, ctx) => {
      const m = await fakePoint(p, ctx);
      return { ...m, validationLoss: Number.NaN };
    }, { outDir: out });
    expect(report.points.every((r) => r.status === 'failed' && /validationLoss/.test(r.error))).toBe(true);
  });

  it('runs points in worker threads with the same results as in-process, failures included', async () => {
    const outA = tmp();
    const outB = tmp();
    const direct = await runStudy(points, fakePoint, { outDir: outA });
    const events: StudyProgress[] = [];
    const viaWorkers = await runStudy(points, { module: FAKE_MODULE, exportName: 'fakePoint' }, { outDir: outB, concurrency: 2, onProgress: (e) => events.push(e) });
    expect(viaWorkers.points.map(stable)).toEqual(direct.points.map(stable));
    expect(events.filter((e) => e.kind === 'progress').length).toBe(points.length);

    const failing = await runStudy(points.slice(0, 2), { module: FAKE_MODULE, exportName: 'failingPoint' }, { outDir: tmp(), concurrency: 2 });
    expect(failing.points.map((r) => r.status)).toEqual(['failed', 'failed']);
    expect(failing.points[0]!.status === 'failed' && failing.points[0]!.error).toMatch(/out of patience/);
    await expect(runStudy(points, fakePoint, { outDir: tmp(), concurrency: 0 })).rejects.toThrow(/concurrency/);
    await expect(runStudy(points, fakePoint, { outDir: tmp(), concurrency: Number.NaN })).rejects.toThrow(/concurrency/);
    const noGrid = tmp();
    await runStudy(points.slice(0, 1), fakePoint, { outDir: noGrid, writeGrid: false });
    expect(existsSync(join(noGrid, 'grid.json'))).toBe(false);
    const missing = await runStudy(points.slice(0, 1), { module: FAKE_MODULE, exportName: 'nope' }, { outDir: tmp() });
    expect(missing.points[0]!.status === 'failed' && missing.points[0]!.error).toMatch(/no function export nope/);
  });

  it('fine-tune points wait for the public point; when it fails they fail without running, the others still run', async () => {
    const grid = studyGrid('quick', { mitigations: ['none', 'dp'] });
    expect(grid.map((p) => p.id)).toEqual(['public', 'ft-none-seed1', 'ft-dp-eps8-seed1', 'none-seed1', 'dp-eps8-seed1']);
    const ok = counting();
    const report = await runStudy([...grid].reverse(), ok, { outDir: tmp() });
    // The point others start from runs first even when listed last.
    expect(ok.calls[0]).toBe('public');
    expect(report.points.every((r) => r.status === 'ok')).toBe(true);

    const run = counting(async (p, ctx) => {
      if (p.mode === 'public') throw new Error('no public text');
      return fakePoint(p, ctx);
    });
    const failed = await runStudy(grid, run, { outDir: tmp() });
    expect(run.calls).toEqual(['public', 'none-seed1', 'dp-eps8-seed1']);
    const status = Object.fromEntries(failed.points.map((r) => [r.id, r.status === 'failed' ? r.error : 'ok']));
    expect(status).toEqual({
      public: 'no public text',
      'ft-none-seed1': "its starting point 'public' failed",
      'ft-dp-eps8-seed1': "its starting point 'public' failed",
      'none-seed1': 'ok',
      'dp-eps8-seed1': 'ok',
    });
  });

  it('with two worker lanes, a fine-tune point never starts before the public point has finished', async () => {
    const grid = studyGrid('quick', { mitigations: ['none', 'dp'] });
    const events: StudyProgress[] = [];
    await runStudy(grid, { module: FAKE_MODULE, exportName: 'fakePoint' }, { outDir: tmp(), concurrency: 2, onProgress: (e) => events.push(e) });
    const publicDone = events.findIndex((e) => e.id === 'public' && e.kind === 'finished');
    const firstFineTune = events.findIndex((e) => e.id.startsWith('ft-') && e.kind === 'started');
    expect(publicDone).toBeGreaterThanOrEqual(0);
    expect(firstFineTune).toBeGreaterThan(publicDone);
  });

  it('shares the cores among points in flight: a point left alone gets the free cores as its thread budget', async () => {
    // Three points on 2 cores: 'none' runs long; the two DP points finish early, one after the other.
    const grid = studyGrid('quick', { mitigations: ['none', 'dp'], dpEpsilons: [1, 8], modes: ['scratch'] });
    expect(grid.map((p) => p.mitigation)).toEqual(['none', 'dp', 'dp']);
    const events: StudyProgress[] = [];
    const report = await runStudy(grid, { module: FAKE_MODULE, exportName: 'budgetPoint' }, { outDir: tmp(), concurrency: 2, cores: 2, onProgress: (e) => events.push(e) });
    const budgets = (id: string): string[] => events.filter((e) => e.id === id && e.kind === 'progress').map((e) => e.message!);
    const long = grid[0]!.id;
    // It starts beside another point with one core, and gets both once nothing else is left to run.
    expect(budgets(long)[0]).toBe('threads 1');
    expect(budgets(long).at(-1)).toBe('threads 2');
    for (const p of grid.slice(1)) expect(budgets(p.id)).toEqual(['threads 1']);
    const threads = Object.fromEntries(report.points.map((r) => [r.id, r.status === 'ok' ? r.threads : undefined]));
    expect(threads).toEqual({ [long]: 2, [grid[1]!.id]: 1, [grid[2]!.id]: 1 });
    // In one thread (a point function, one point at a time) a point gets all the cores.
    const seen: number[] = [];
    await runStudy(grid.slice(0, 1), async (p, ctx) => {
      seen.push(ctx.threads ?? 0);
      return fakePoint(p, ctx);
    }, { outDir: tmp(), cores: 3 });
    expect(seen).toEqual([3]);
  });

  it('threadsPerPoint caps every point\'s budget, even a point left alone on free cores', async () => {
    const grid = studyGrid('quick', { mitigations: ['none', 'dp'], dpEpsilons: [1, 8], modes: ['scratch'] });
    const events: StudyProgress[] = [];
    const report = await runStudy(grid, { module: FAKE_MODULE, exportName: 'budgetPoint' }, { outDir: tmp(), concurrency: 2, cores: 2, threadsPerPoint: 1, onProgress: (e) => events.push(e) });
    for (const p of grid) expect(events.filter((e) => e.id === p.id && e.kind === 'progress').map((e) => e.message)).toEqual(['threads 1']);
    expect(report.points.map((r) => (r.status === 'ok' ? r.threads : undefined))).toEqual([1, 1, 1]);
    const seen: number[] = [];
    await runStudy(grid.slice(0, 1), async (p, ctx) => {
      seen.push(ctx.threads ?? 0);
      return fakePoint(p, ctx);
    }, { outDir: tmp(), cores: 3, threadsPerPoint: 2 });
    expect(seen).toEqual([2]);
    await expect(runStudy(grid, fakePoint, { outDir: tmp(), threadsPerPoint: 0 })).rejects.toThrow(InvalidArgumentError);
  });
});
