import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { studyGrid } from '../../../src/study/grid.js';
import { comparePoints, mergeResults, writeStudyGrid } from '../../../src/study/jobs.js';
import { runStudy } from '../../../src/study/runner.js';
import { mergeStudyResults } from '../../../src/study/slurm/merge.js';
import { planSubmission } from '../../../src/study/slurm/plan.js';
import { slurmLayout } from '../../../src/study/slurm/scripts.js';
import { studyStatus } from '../../../src/study/slurm/status.js';
import { submitPlan } from '../../../src/study/slurm/submit.js';
import { fakePoint } from '../fake-point.mjs';
import { FakeSlurm } from './fake-slurm.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'dpc-slurm-merge-'));
const points = studyGrid('quick', { modes: ['scratch'], mitigations: ['none', 'dp', 'dropout'], dpEpsilons: [1, 8] });

describe('merging a study folder: every point of its grid is in the report', () => {
  it('points without a result are failed with the reason their status gives; the others are as mergeResults has them', async () => {
    const dir = tmp();
    const layout = slurmLayout(dir);
    const slurm = new FakeSlurm(7);
    const first = points.slice(0, 3);
    submitPlan(planSubmission(first, studyStatus(dir, slurm, first).points), { layout, points: first, script: { command: ['node', 'main.js'], threads: 1 }, slurmArgs: [], slurm });
    // The submission above ran 3 points as array job 7 (tasks 7_0..7_2, merge 8); point 4 never ran.
    writeStudyGrid(dir, points, 'quick');
    await runStudy(points.slice(0, 1), fakePoint, { outDir: dir, writeGrid: false });
    writeFileSync(join(layout.logsDir, '7_1.out'), "dp-canary: corpus file '/nope.txt' does not exist\n");
    slurm.states.set('7_1', { state: 'FAILED', reason: 'NonZeroExitCode' });
    slurm.states.set('7_2', { state: 'TIMEOUT', reason: 'TimeLimit' });
    const report = mergeStudyResults([dir], slurm);
    expect(report.preset).toBe('quick');
    expect(report.points.map((p) => p.id)).toEqual([...points].sort(comparePoints).map((p) => p.id));
    const by = new Map(report.points.map((p) => [p.id, p]));
    expect(by.get(points[0]!.id)).toEqual(mergeResults([dir]).points[0]);
    const error = (id: string): string => {
      const r = by.get(id)!;
      return r.status === 'failed' ? r.error : 'ok';
    };
    expect(error(points[1]!.id)).toBe("no result: Slurm job 7_1 ended FAILED (NonZeroExitCode) without writing a result: dp-canary: corpus file '/nope.txt' does not exist");
    expect(error(points[2]!.id)).toBe('no result: Slurm job 7_2 ended TIMEOUT (TimeLimit) without writing a result');
    expect(error(points[3]!.id)).toBe('no result: never run');
    for (const p of report.points.slice(1)) expect(p.point).toEqual(points.find((x) => x.id === p.id));
  });

  it('a study folder without any result yet gives a report of failed points; a folder of plain results merges as before', async () => {
    const dir = tmp();
    writeStudyGrid(dir, points);
    const report = mergeStudyResults([dir], null);
    expect(report.points).toHaveLength(points.length);
    expect(report.points.every((p) => p.status === 'failed' && p.error === 'no result: never run')).toBe(true);
    const plain = tmp();
    await runStudy(points.slice(0, 2), fakePoint, { outDir: plain, writeGrid: false });
    expect(mergeStudyResults([plain], null)).toEqual(mergeResults([plain]));
    // The grid's points found in another input are not marked missing.
    const both = mergeStudyResults([dir, plain], null);
    expect(both.points.filter((p) => p.status === 'ok').map((p) => p.id).sort()).toEqual(points.slice(0, 2).map((p) => p.id).sort());
    expect(both.points).toHaveLength(points.length);
  });
});
