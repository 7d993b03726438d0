import { formatEpsilon, formatExposure, formatLoss, formatPerplexity } from './format.js';
import { insertionCounts, orderedResults, summaryRows, type SummaryRow } from './summary.js';
import type { StudyReport } from './types.js';

/** Column headers and cell texts of the comparison table (shared by markdown and HTML). */
export interface ComparisonTable {
  header: string[];
  rows: { cells: string[]; failed: boolean }[];
}

/** The comparison table: one row per point, failed points marked. */
export function comparisonTable(report: StudyReport): ComparisonTable {
  const counts = insertionCounts(report);
  const header = [
    'point',
    'mitigation',
    'ε',
    'val loss (nats/token)',
    'val perplexity',
    ...counts.map((r) => `exposure r=${r} (bits)`),
    'extracted',
    'status',
  ];
  const rows = summaryRows(report).map((row: SummaryRow) => {
    if (row.status === 'failed') {
      return {
        failed: true,
        cells: [row.id, row.label, '-', '-', '-', ...counts.map(() => '-'), '-', `FAILED: ${row.error ?? ''}`],
      };
    }
    const exposure = counts.map((r) => (row.exposureByInsertions[r] === undefined ? '-' : formatExposure(row.exposureByInsertions[r]!)));
    const extracted = row.extractedInsertions.length === 0 ? 'no' : `yes (r=${row.extractedInsertions.join(', ')})`;
    return {
      failed: false,
      cells: [
        row.id,
        row.label,
        formatEpsilon(row.epsilon!),
        formatLoss(row.validationLoss!),
        formatPerplexity(row.validationPerplexity!),
        ...exposure,
        extracted,
        'ok',
      ],
    };
  });
  return { header, rows };
}

/**
 * Exposure (bits) of each point's most-inserted canary after every epoch: the paper's
 * "memorization over training". Undefined when no point measured per-epoch exposure.
 */
export function epochTable(report: StudyReport): ComparisonTable | undefined {
  const rows = orderedResults(report).flatMap((r) => {
    if (r.status !== 'ok' || r.exposureByEpoch.length === 0 || r.canaries.length === 0) return [];
    const top = r.canaries.reduce((a, b) => (b.insertions > a.insertions ? b : a));
    return [{ r, name: top.name, insertions: top.insertions }];
  });
  if (rows.length === 0) return undefined;
  const epochs = Math.max(...rows.map(({ r }) => (r.status === 'ok' ? Math.max(...r.exposureByEpoch.map((e) => e.epoch)) : 0)));
  const header = ['point', 'canary', ...Array.from({ length: epochs }, (_, i) => `epoch ${i + 1}`)];
  return {
    header,
    rows: rows.map(({ r, name, insertions }) => {
      const byEpoch = new Map(r.status === 'ok' ? r.exposureByEpoch.map((e) => [e.epoch, e.exposure[name]]) : []);
      const cells = Array.from({ length: epochs }, (_, i) => {
        const x = byEpoch.get(i + 1);
        return x === undefined ? '-' : formatExposure(x);
      });
      return { failed: false, cells: [r.id, `${name} (r=${insertions})`, ...cells] };
    }),
  };
}

/** Largest log2|R| over the finished points (the most exposure possible), if any finished. */
export function reportLog2R(report: StudyReport): number | undefined {
  const xs = report.points.flatMap((r) => (r.status === 'ok' ? [r.log2R] : []));
  return xs.length ? Math.max(...xs) : undefined;
}

/** The "how to read this" paragraph (plain text, used by both reports). */
export function howToRead(report: StudyReport): string {
  const log2R = reportLog2R(report);
  const max = log2R === undefined ? 'log2 |R|' : `log2 |R| = ${formatExposure(log2R)} bits`;
  return (
    `Each row is one trained model. ε is the privacy budget of DP-SGD at the study's δ (∞ = no differential privacy; ` +
    `smaller is more private). Validation loss and perplexity measure utility on held-out text that never contains a canary ` +
    `(lower is better). Exposure (in bits) says how much more likely the model finds an inserted secret than other secrets of ` +
    `the same format: a canary the model did not memorize has exposure near 1-2 bits, a fully memorized one reaches ${max}. ` +
    `The column "exposure r=N" is for the canary inserted N times. "extracted" lists the canaries that a best-first search ` +
    `over the model's predictions (the Secret Sharer's attack) ranked among its 10 most likely secrets. DP bounds what one ` +
    `training window reveals; a canary inserted r times is covered only by group privacy of size r. Failed points are marked FAILED with their error and left out of the plots.`
  );
}

function escapeCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** report.md: title, how to read, the comparison table, failed points. */
export function renderMarkdown(report: StudyReport): string {
  const t = comparisonTable(report);
  const lines: string[] = ['# dp-canary study report', ''];
  if (report.preset) lines.push(`Preset: ${report.preset}. Points: ${report.points.length}.`, '');
  lines.push('## How to read this', '', howToRead(report), '', '## Comparison', '');
  lines.push(`| ${t.header.map(escapeCell).join(' | ')} |`);
  lines.push(`|${t.header.map(() => '---').join('|')}|`);
  for (const r of t.rows) lines.push(`| ${r.cells.map(escapeCell).join(' | ')} |`);
  const failed = report.points.filter((p) => p.status === 'failed');
  lines.push('');
  const et = epochTable(report);
  if (et) {
    lines.push('## Exposure during training', '', 'Exposure (bits) of each point\'s most-inserted canary after every epoch.', '');
    lines.push(`| ${et.header.map(escapeCell).join(' | ')} |`, `|${et.header.map(() => '---').join('|')}|`);
    for (const r of et.rows) lines.push(`| ${r.cells.map(escapeCell).join(' | ')} |`);
    lines.push('');
  }
  if (failed.length > 0) {
    lines.push(`**${failed.length} point(s) failed**: ${failed.map((p) => p.id).join(', ')}. Rerun the study to retry them.`, '');
  }
  return lines.join('\n');
}
