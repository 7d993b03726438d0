import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';
import { renderHtml } from './html.js';
import { stringifyStudyJson } from './json.js';
import { renderMarkdown } from './markdown.js';
import { renderReportPlots } from './plots.js';
import { orderedResults } from './summary.js';
import type { StudyReport } from './types.js';

/** Paths of the written report files. */
export interface ReportFiles {
  json: string;
  markdown: string;
  html: string;
}

/**
 * Write report.json (every number of every point; ∞ as "Infinity"), report.md (the
 * comparison table and how to read it) and report.html (self-contained, with SVG plots) to
 * outDir, each atomically. Points appear in report order; failed points are marked in all three.
 */
export async function writeReports(report: StudyReport, outDir: string): Promise<ReportFiles> {
  const ordered: StudyReport = { ...report, points: orderedResults(report) };
  const files: ReportFiles = {
    json: join(outDir, 'report.json'),
    markdown: join(outDir, 'report.md'),
    html: join(outDir, 'report.html'),
  };
  const plots = await renderReportPlots(ordered);
  writeFileAtomic(files.json, stringifyStudyJson(ordered));
  writeFileAtomic(files.markdown, renderMarkdown(ordered));
  writeFileAtomic(files.html, renderHtml(ordered, plots));
  return files;
}
