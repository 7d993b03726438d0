import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, readdirSync, mkdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeResults, readJobFile, readStudyGrid, writeJobFiles } from '../../src/study/jobs.js';
import { runStudy, pointResultPath } from '../../src/study/runner.js';
import { studyGrid } from '../../src/study/grid.js';
import { stringifyStudyJson, validateStudyPoint } from '../../src/study/json.js';
import { OPTIMIZER_NAMES } from '../../src/dpsgd/optimizer-names.js';
import { InvalidArgumentError } from '../../src/util/errors.js';
import type { PointResult } from '../../src/study/types.js';
import { fakePoint } from './fake-point.mjs';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'dpc-jobs-'));
const points = studyGrid('quick', { dpEpsilons: [1, 8], seeds: [1, 2] });
const stable = (r: PointResult): unknown => {
  const { trainSeconds: _t, elapsedSeconds: _e, ...rest } = r as PointResult & { trainSeconds?: number; elapsedSeconds?: number };
  return JSON.parse(JSON.stringify(rest));
};
const byId = (rs: PointResult[]) => [...rs].sort((a, b) => (a.id < b.id ? -1 : 1)).map(stable);

describe('job files and merge', () => {
  it('one job file per point, read back exactly', () => {
    const dir = tmp();
    const paths = writeJobFiles(points, dir);
    expect(readdirSync(dir).length).toBe(points.length);
    expect(paths.map((p) => readJobFile(p))).toEqual(points);
  });

  it('running each job on its own "machine" and merging equals a direct run', async () => {
    const direct = await runStudy(points, fakePoint, { outDir: tmp() });
    const jobs = writeJobFiles(points, tmp());
    const machines: string[] = [];
    for (const job of jobs) {
      const out = tmp();
      await runStudy([readJobFile(job)], fakePoint, { outDir: out });
      machines.push(out);
    }
    const merged = mergeResults(machines);
    expect(byId(merged.points)).toEqual(byId(direct.points));
    // Same point twice (a rerun elsewhere: different wall-clock time) is accepted.
    expect(byId(mergeResults([...machines, machines[0]!]).points)).toEqual(byId(direct.points));
  });

  it('rejects disagreeing duplicates, lets an ok result replace a failed one, and reads report.json', async () => {
    const a = tmp();
    const b = tmp();
    await runStudy(points.slice(0, 2), fakePoint, { outDir: a });
    await runStudy(points.slice(0, 2), fakePoint, { outDir: b });
    const f = pointResultPath(b, points[0]!.id);
    const r = JSON.parse(readFileSync(f, 'utf8'));
    r.validationLoss += 0.5;
    writeFileSync(f, JSON.stringify(r));
    expect(() => mergeResults([a, b])).toThrow(InvalidArgumentError);
    expect(() => mergeResults([a, b])).toThrow(new RegExp(points[0]!.id));

    const c = tmp();
    await runStudy(points.slice(0, 1), async () => {
      throw new Error('crashed');
    }, { outDir: c });
    const m = mergeResults([c, a]);
    expect(m.points.find((p) => p.id === points[0]!.id)!.status).toBe('ok');
    expect(mergeResults([c]).points[0]!.status).toBe('failed');

    const reportFile = join(tmp(), 'report.json');
    writeFileSync(reportFile, stringifyStudyJson(mergeResults([a])));
    expect(byId(mergeResults([reportFile]).points)).toEqual(byId(mergeResults([a]).points));
  });

  it('turns bad inputs into InvalidArgumentErrors', () => {
    const d = tmp();
    expect(() => mergeResults([])).toThrow(InvalidArgumentError);
    expect(() => mergeResults([join(d, 'nope')])).toThrow(InvalidArgumentError);
    mkdirSync(join(d, 'empty'));
    expect(() => mergeResults([join(d, 'empty')])).toThrow(InvalidArgumentError);
    const junk = join(d, 'junk.json');
    writeFileSync(junk, '{"hello": 1}');
    expect(() => mergeResults([junk])).toThrow(InvalidArgumentError);
    expect(() => readJobFile(junk)).toThrow(InvalidArgumentError);
    const broken = join(d, 'broken.json');
    writeFileSync(broken, '{');
    expect(() => readJobFile(broken)).toThrow(InvalidArgumentError);
    const job = writeJobFiles(points.slice(0, 1), join(d, 'jobs'))[0]!;
    const j = JSON.parse(readFileSync(job, 'utf8'));
    j.point.epochs = 'many';
    const bad = join(d, 'bad-job.json');
    writeFileSync(bad, JSON.stringify(j));
    expect(() => readJobFile(bad)).toThrow(/epochs/);
    expect(() => readStudyGrid(d)).toThrow(/not a study folder/);
    writeFileSync(join(d, 'grid.json'), '{"schema": "dp-canary/study-grid@1", "points": [{"id": "x"}]}');
    expect(() => readStudyGrid(d)).toThrow(InvalidArgumentError);
    copyFileSync(job, join(d, 'ok.json'));
    expect(readJobFile(join(d, 'ok.json')).id).toBe(points[0]!.id);
  });

  it('checks a point\'s optimizer and mitigation against the one list of each', () => {
    const p = points.find((x) => x.mitigation === 'none')!;
    // Every optimizer the trainer implements (and `train --optimizer` accepts) is a valid setting.
    for (const optimizer of OPTIMIZER_NAMES) expect(validateStudyPoint({ ...p, optimizer }, 'job').optimizer).toBe(optimizer);
    expect(() => validateStudyPoint({ ...p, optimizer: 'adamw' }, 'job')).toThrow(/"optimizer" must be one of sgd, momentum, adam, rmsprop/);
    expect(() => validateStudyPoint({ ...p, mitigation: 'pruning' }, 'job')).toThrow(/"mitigation" must be one of none, dp, dropout, weight-decay, sanitize/);
  });
});
