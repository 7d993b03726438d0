import { NATURAL_TABLE_TEXT, naturalTable } from './natural-report.js';
import { comparisonTable, epochTable, EPOCH_TABLE_TEXT, howToRead, SEED_TABLE_TEXT, seedTable, type ComparisonTable } from './markdown.js';
import type { RenderedPlot } from './plots.js';
import type { StudyReport } from './types.js';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const STYLE = `
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 70em; color: #222; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: right; }
th:nth-child(-n+4), td:nth-child(-n+4) { text-align: left; }
tr.failed td { background: #fde8e8; color: #8a1010; }
figure { display: inline-block; margin: 1em 1em 1em 0; }
`;

function tableHtml(t: ComparisonTable): string {
  const head = `<thead><tr>${t.header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>`;
  const body = t.rows.map((r) => `<tr${r.failed ? ' class="failed"' : ''}>${r.cells.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`);
  return `<table>${head}<tbody>${body.join('\n')}</tbody></table>`;
}

/**
 * report.html: one self-contained page (inline CSS and SVG; no scripts, no external
 * resources) with the how-to-read text, the comparison table and the plots.
 */
export function renderHtml(report: StudyReport, plots: readonly RenderedPlot[]): string {
  const t = comparisonTable(report);
  const failed = report.points.filter((p) => p.status === 'failed');
  const parts: string[] = [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8"><title>dp-canary study report</title>',
    `<style>${STYLE}</style></head><body>`,
    '<h1>dp-canary study report</h1>',
  ];
  if (report.preset) parts.push(`<p>Preset: ${esc(report.preset)}. Points: ${report.points.length}.</p>`);
  parts.push('<h2>How to read this</h2>', `<p>${esc(howToRead(report))}</p>`, '<h2>Comparison</h2>', tableHtml(t));
  if (failed.length > 0) {
    parts.push(`<p class="failed"><strong>${failed.length} point(s) failed</strong> and are not in the plots: ${failed.map((p) => esc(p.id)).join(', ')}.</p>`);
  }
  const nt = naturalTable(report);
  if (nt) parts.push('<h2>Natural secrets</h2>', `<p>${esc(NATURAL_TABLE_TEXT)}</p>`, tableHtml(nt));
  const et = epochTable(report);
  if (et) {
    parts.push('<h2>Exposure during training</h2>', `<p>${esc(EPOCH_TABLE_TEXT)}</p>`, tableHtml(et));
  }
  const st = seedTable(report);
  if (st) parts.push('<h2>Across retrained models</h2>', `<p>${esc(SEED_TABLE_TEXT)}</p>`, tableHtml(st));
  parts.push('<h2>Plots</h2>');
  for (const p of plots) {
    const body = p.rows > 0 ? p.svg : '<p>(no finished points to plot)</p>';
    parts.push(`<figure>${body}<figcaption>${esc(p.title)}</figcaption></figure>`);
  }
  parts.push('</body></html>', '');
  return parts.join('\n');
}
