import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeReports } from '../../src/study/reports.js';
import { exposureVsEpsilonSpec } from '../../src/study/plots.js';
import { runStudy } from '../../src/study/runner.js';
import { studyGrid } from '../../src/study/grid.js';
import { stringifyStudyJson, validatePointResult } from '../../src/study/json.js';
import { formatEpsilon, formatExposure, formatLoss, formatPerplexity } from '../../src/study/format.js';
import { recipeLabel } from '../../src/study/summary.js';
import { renderMarkdown } from '../../src/study/markdown.js';
import type { OkPointResult, PointResult } from '../../src/study/types.js';
import { fakePoint } from './fake-point.mjs';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'dpc-report-'));

describe('reports', async () => {
  const points = studyGrid('default', { seeds: [1, 2] });
  const failedId = 'ft-dropout0.5-seed2';
  const report = await runStudy(points, async (p, ctx) => {
    if (p.id === failedId) throw new Error('ran out of memory');
    return fakePoint(p, ctx);
  }, { outDir: tmp(), preset: 'default' });
  const out = tmp();
  const files = await writeReports(report, out);
  const json = JSON.parse(readFileSync(files.json, 'utf8'));
  const md = readFileSync(files.markdown, 'utf8');
  const html = readFileSync(files.html, 'utf8');
  const input = new Map(report.points.map((r) => [r.id, r]));

  it('report.json holds every point with the same numbers (∞ restored)', () => {
    expect(json.points.length).toBe(points.length);
    expect(json.preset).toBe('default');
    for (const raw of json.points) {
      const r = validatePointResult(raw, 'report.json');
      const orig = input.get(r.id)!;
      expect(JSON.parse(JSON.stringify(r))).toEqual(JSON.parse(JSON.stringify(orig)));
      if (r.status === 'ok') expect(r.epsilon).toBe((orig as OkPointResult).epsilon);
    }
    expect(json.points.find((p: PointResult) => p.id === 'none-seed1').epsilon).toBe('Infinity');
  });

  it('report.md has one table row per point with the same values, and marks the failed one', () => {
    const comparison = md.slice(md.indexOf('## Comparison'), md.indexOf('## Exposure during training'));
    const rows = comparison.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| point'));
    expect(rows.length).toBe(points.length);
    expect(md).toMatch(/How to read this/);
    for (const r of report.points) {
      const row = rows.find((l) => l.startsWith(`| ${r.id} |`))!;
      expect(row, r.id).toBeDefined();
      const cells = row.split(' | ').map((c) => c.replace(/^\| |\s\|$/g, '').trim());
      if (r.status === 'failed') {
        expect(row).toContain('FAILED: ran out of memory');
        continue;
      }
      expect(cells[1]).toBe(r.point.mode);
      expect(cells[3]).toBe(recipeLabel(r.point));
      expect(cells[4]).toBe(r.point.mode === 'public' ? '0 (public data only)' : Number.isFinite(r.epsilon) ? `${formatEpsilon(r.epsilon)} per window` : '∞');
      expect(cells[5]).toBe(formatLoss(r.validationLoss));
      expect(cells[6]).toBe(formatPerplexity(r.validationPerplexity));
      // One canary per insertion count in the fake, so the mean is that canary's exposure.
      r.point.insertions.forEach((n, i) => {
        const c = r.canaries.find((k) => k.insertions === n)!;
        expect(cells[7 + i]).toBe(formatExposure(c.exposure));
      });
      const anyExtracted = r.canaries.some((c) => c.extracted);
      expect(cells[7 + r.point.insertions.length]!.startsWith(anyExtracted ? 'yes' : 'no')).toBe(true);
    }
    expect(md).toContain(`1 point(s) failed**: ${failedId}`);
    expect(formatEpsilon(Infinity)).toBe('∞');
    expect(md).toContain(`| none-seed1 | scratch | none (baseline) | ${recipeLabel(points.find((p) => p.id === 'none-seed1')!)} | ∞ |`);
    // DP points show their own recipe, with the clip norm.
    expect(md).toMatch(/\| dp-eps8-seed1 \| scratch \| DP-SGD ε=8 per window \| B=\d+, lr=[\d.]+, \d+ ep, C=[\d.]+ \|/);
  });

  it('report.md shows exposure and validation loss after each epoch for the most-inserted canary', () => {
    const section = md.slice(md.indexOf('## Exposure during training'), md.indexOf('## Across retrained models'));
    const ok = report.points.filter((r): r is OkPointResult => r.status === 'ok');
    for (const r of ok) {
      const top = Math.max(...r.point.insertions);
      const name = r.canaries.find((c) => c.insertions === top)!.name;
      const row = section.split('\n').find((l) => l.startsWith(`| ${r.id} |`))!;
      const cells = row.split(' | ').map((c) => c.replace(/^\| |\s\|$/g, '').trim());
      expect(cells[1]).toBe(`${name} (r=${top})`);
      expect(cells[2]).toBe('exact');
      r.exposureByEpoch.forEach((e) => expect(cells[2 + e.epoch]).toBe(`${formatExposure(e.exposure[name]!)} / ${formatLoss(e.validationLoss!)}`));
    }
    expect(section).not.toContain(`| ${failedId} |`);
  });

  it('across seeds: mean and spread of exposure and how often the canary was the most likely secret', () => {
    const section = md.slice(md.indexOf('## Across retrained models'));
    const ok = report.points.filter((r): r is OkPointResult => r.status === 'ok' && r.point.mode === 'scratch' && r.point.mitigation === 'none');
    expect(ok.length).toBe(2);
    const xs = ok.map((r) => r.canaries.find((c) => c.insertions === 64)!.exposure);
    const mean = (xs[0]! + xs[1]!) / 2;
    const sd = Math.abs(xs[0]! - xs[1]!) / Math.SQRT2;
    expect(section).toContain(`| scratch | none (baseline) | 64 | 2 | ${formatExposure(mean)} | ${formatExposure(sd)} | 0 of 2 (0%) |`);
    // A canary at the top of the exact ranking in both models counts in both.
    const top = ok.map((r) => ({ ...r, canaries: r.canaries.map((c) => (c.insertions === 64 ? { ...c, exposure: r.log2R } : c)) }));
    const other = report.points.filter((r) => !ok.includes(r as OkPointResult));
    const md2 = renderMarkdown({ ...report, points: [...other, ...top] });
    expect(md2).toContain('| scratch | none (baseline) | 64 | 2 |');
    expect(md2).toMatch(/\| scratch \| none \(baseline\) \| 64 \| 2 \| [\d.]+ \| 0.00 \| 2 of 2 \(100%\) \|/);
  });

  it('report.html is self-contained with the tradeoff plot, exposure plots and one training-curve plot per point, and marks the failed point', () => {
    const okCount = report.points.filter((r) => r.status === 'ok').length;
    expect(html.match(/<svg/g)?.length).toBe(3 + okCount);
    expect(html).toContain('Privacy, utility and memorization against ε');
    expect(html).toContain('losses and exposure per epoch');
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?https?:/i);
    expect(html).not.toMatch(/<link/i);
    expect(html).toContain('class="failed"');
    expect(html).toContain('FAILED: ran out of memory');
    expect(html).toContain('∞ (no DP)'); // the non-private position is labelled on the ε axis
    for (const r of report.points) expect(html).toContain(`<td>${r.id}</td>`);
  });

  it('still writes all three files when every point failed', async () => {
    const dead = await runStudy(points.slice(0, 3), async () => {
      throw new Error('no backend');
    }, { outDir: tmp() });
    const f = await writeReports(dead, tmp());
    const h = readFileSync(f.html, 'utf8');
    expect(h).toContain('(no finished points to plot)');
    // The public point failed; the fine-tune points that start from it fail without running.
    expect(readFileSync(f.markdown, 'utf8').match(/FAILED: no backend/g)?.length).toBe(1);
    expect(readFileSync(f.markdown, 'utf8').match(/FAILED: its starting point 'public' failed/g)?.length).toBe(2);
    expect(JSON.parse(readFileSync(f.json, 'utf8')).points.every((p: PointResult) => p.status === 'failed')).toBe(true);
  });

  it('places a DP configuration on the ε axis at the largest ε its seeds reached, never below', () => {
    const pts = report.points.map((r) => {
      if (r.status !== 'ok' || r.point.mitigation !== 'dp' || r.point.targetEpsilon !== 3) return r;
      return { ...r, epsilon: r.point.seed === 2 ? 3.21 : 2.9 };
    });
    const values = (exposureVsEpsilonSpec({ ...report, points: pts }) as { data: { values: { epsLabel: string }[] } }).data.values;
    const labels = new Set(values.map((v) => v.epsLabel));
    expect(labels.has('3.21')).toBe(true);
    expect(labels.has('2.9')).toBe(false);
    expect(labels.has('∞ (no DP)')).toBe(true);
    // Configurations that stayed under their target are shown at the target (fake: 0.995 x target).
    expect(labels.has('8')).toBe(true);
    expect(labels.has(formatEpsilon(8 * 0.995))).toBe(false);
  });

  it('adds the PLD epsilon and the audited lower bound as columns, and the audit plot, when points carry them', async () => {
    const audited = report.points.map((r) =>
      r.status === 'ok' && r.point.mitigation === 'dp'
        ? { ...r, epsilonPld: r.epsilon * 0.9, audit: { epsilonLowerBound: 0.123, confidence: 0.95, delta: 1e-5, auditCanaries: 200, unitsPerCanary: 4, guesses: 100, correctGuesses: 60 } }
        : r,
    );
    const files2 = await writeReports({ ...report, points: audited }, tmp());
    const md2 = readFileSync(files2.markdown, 'utf8');
    expect(md2).toContain('| ε (PLD) | ε lower bound (audit, 95%) |');
    const row = md2.split('\n').find((l) => l.startsWith('| dp-eps8-seed1 |'))!;
    const r = audited.find((x) => x.id === 'dp-eps8-seed1')!;
    expect(row).toContain(`| ${formatEpsilon((r as OkPointResult).epsilon)} per window | ${formatEpsilon((r as OkPointResult).epsilon * 0.9)} | 0.123 |`);
    expect(readFileSync(files2.html, 'utf8')).toContain('audited lower bound');
  });

  it('names the unit of every epsilon, and gives a window-level point\'s group figure for the largest user beside a user-level point', () => {
    const withUnits = report.points.flatMap((r): PointResult[] => {
      if (r.status !== 'ok' || r.point.mitigation !== 'dp' || r.point.mode !== 'scratch') return [r];
      const window: OkPointResult = { ...r, privacyUnit: 'window', groupPrivacy: { unit: 'user', key: 'list@example.org', windows: 615, epsilon: 615 * r.epsilon, delta: null } };
      const user: OkPointResult = { ...r, id: r.id.replace('-seed', '-user-seed'), point: { ...r.point, id: r.id.replace('-seed', '-user-seed'), privacyUnit: 'user' }, privacyUnit: 'user', trainUnits: 40 };
      return [window, user];
    });
    const md2 = renderMarkdown({ ...report, points: withUnits });
    expect(md2).toContain('| ε (per unit) | ε for the largest user or document |');
    const row = (id: string): string => md2.split('\n').find((l) => l.startsWith(`| ${id} |`))!;
    expect(row('dp-eps8-seed1')).toContain(`| DP-SGD ε=8 per window |`);
    expect(row('dp-eps8-seed1')).toContain(`| ${formatEpsilon(8 * 0.995)} per window | no guarantee (user of 615 windows) |`);
    expect(row('dp-eps8-user-seed1')).toContain(`| DP-SGD ε=8 per user |`);
    expect(row('dp-eps8-user-seed1')).toContain(`| ${formatEpsilon(8 * 0.995)} per user | ${formatEpsilon(8 * 0.995)} (the unit) |`);
    expect(row('none-seed1')).toContain('| ∞ | ∞ |');
    // A finite group figure: k epsilon and the group's delta.
    const finite = withUnits.map((r) => (r.status === 'ok' && r.groupPrivacy ? { ...r, groupPrivacy: { ...r.groupPrivacy, windows: 2, epsilon: 2 * r.epsilon, delta: 0.0123 } } : r));
    expect(renderMarkdown({ ...report, points: finite })).toContain(`| ${formatEpsilon(2 * 8 * 0.995)} at δ=0.012 (user of 2 windows) |`);
    // On the ε axis the two units at one target are two positions.
    const labels = new Set((exposureVsEpsilonSpec({ ...report, points: withUnits }) as { data: { values: { epsLabel: string }[] } }).data.values.map((v) => v.epsLabel));
    expect(labels.has('8')).toBe(true);
    expect(labels.has('8 per user')).toBe(true);
    for (const r of withUnits) expect(() => validatePointResult(JSON.parse(stringifyStudyJson(r)), 'test')).not.toThrow();
  });
});
