import { NATURAL_TABLE_TEXT, naturalTable } from './natural-report.js';
import { formatEpsilon, formatExposure, formatFixed, formatLoss, formatPerplexity } from './format.js';
import { insertionCounts, orderedResults, seedSpread, summaryRows, type SummaryRow } from './summary.js';
import type { StudyReport } from './types.js';
import type { PrivacyUnit } from '../data/units.js';

/** Column headers and cell texts of the comparison table (shared by markdown and HTML). */
export interface ComparisonTable {
  header: string[];
  rows: { cells: string[]; failed: boolean }[];
}

/** The comparison table: one row per point, failed points marked. */
export function comparisonTable(report: StudyReport): ComparisonTable {
  const counts = insertionCounts(report);
  const ok = report.points.flatMap((r) => (r.status === 'ok' ? [r] : []));
  const withPld = ok.some((r) => r.epsilonPld !== undefined && r.point.mitigation === 'dp');
  const withAudit = ok.some((r) => r.audit !== undefined);
  // What the guarantee means for a whole document or user, when the study knows them.
  const withGroup = ok.some((r) => r.groupPrivacy !== undefined || (r.point.privacyUnit ?? 'window') !== 'window');
  const header = [
    'point',
    'mode',
    'mitigation',
    'recipe',
    'ε (per unit)',
    ...(withGroup ? ['ε for the largest user or document'] : []),
    ...(withPld ? ['ε (PLD)'] : []),
    ...(withAudit ? ['ε lower bound (audit, 95%)'] : []),
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
        cells: [row.id, row.mode, row.label, row.recipe, '-', ...(withGroup ? ['-'] : []), ...(withPld ? ['-'] : []), ...(withAudit ? ['-'] : []), '-', '-', ...counts.map(() => '-'), '-', `FAILED: ${row.error ?? ''}`],
      };
    }
    const exposure = counts.map((r) => (row.exposureByInsertions[r] === undefined ? '-' : formatExposure(row.exposureByInsertions[r]!)));
    const extracted = row.extractedInsertions.length === 0 ? 'no' : `yes (r=${row.extractedInsertions.join(', ')})`;
    return {
      failed: false,
      cells: [
        row.id,
        row.mode,
        row.label,
        row.recipe,
        row.mode === 'public' ? '0 (public data only)' : epsilonPerUnit(row.epsilon!, row.privacyUnit),
        ...(withGroup ? [row.mode === 'public' ? '0' : largestUnitCell(row)] : []),
        ...(withPld ? [row.mode === 'public' ? '0' : row.epsilonPld === undefined ? '-' : formatEpsilon(row.epsilonPld)] : []),
        ...(withAudit ? [row.auditLowerBound === undefined ? '-' : formatFixed(row.auditLowerBound, 3)] : []),
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

/** "8.00 per user", "∞" (no DP). */
function epsilonPerUnit(eps: number, unit: PrivacyUnit): string {
  return Number.isFinite(eps) ? `${formatEpsilon(eps)} per ${unit}` : formatEpsilon(eps);
}

/**
 * What a point guarantees its largest unit: the epsilon itself for a unit-level point; for a
 * window-level one, group privacy over the k windows of the largest document or user
 * (k epsilon at the group's delta), or "no guarantee" when that delta reaches 1.
 */
function largestUnitCell(row: SummaryRow): string {
  if (!Number.isFinite(row.epsilon!)) return '∞';
  if (row.privacyUnit !== 'window') return `${formatEpsilon(row.epsilon!)} (the unit)`;
  const g = row.groupPrivacy;
  if (!g) return '-';
  if (g.delta === null) return `no guarantee (${g.unit} of ${g.windows} windows)`;
  return `${formatEpsilon(g.epsilon)} at δ=${g.delta.toPrecision(2)} (${g.unit} of ${g.windows} windows)`;
}

/**
 * Each point's most-inserted canary after every epoch, with the validation loss: the paper's
 * "memorization over training" (exposure climbs while validation loss still falls). Undefined
 * when no point measured per-epoch exposure. Cells are "exposure bits / validation loss nats";
 * exposure is exact unless the method column says otherwise.
 */
export function epochTable(report: StudyReport): ComparisonTable | undefined {
  const rows = orderedResults(report).flatMap((r) => {
    if (r.status !== 'ok' || r.canaries.length === 0 || !r.exposureByEpoch.some((e) => Object.keys(e.exposure).length > 0)) return [];
    const top = r.canaries.reduce((a, b) => (b.insertions > a.insertions ? b : a));
    return [{ r, name: top.name, insertions: top.insertions }];
  });
  if (rows.length === 0) return undefined;
  const epochs = Math.max(...rows.map(({ r }) => (r.status === 'ok' ? Math.max(...r.exposureByEpoch.map((e) => e.epoch)) : 0)));
  const header = ['point', 'canary', 'method', ...Array.from({ length: epochs }, (_, i) => `epoch ${i + 1}`)];
  return {
    header,
    rows: rows.map(({ r, name, insertions }) => {
      const list = r.status === 'ok' ? r.exposureByEpoch : [];
      const byEpoch = new Map(list.map((e) => [e.epoch, e]));
      const methods = [...new Set(list.flatMap((e) => (e.exposureMethod ? [e.exposureMethod] : [])))];
      const cells = Array.from({ length: epochs }, (_, i) => {
        const e = byEpoch.get(i + 1);
        const x = e?.exposure[name];
        if (x === undefined) return '-';
        return e!.validationLoss !== undefined ? `${formatExposure(x)} / ${formatLoss(e!.validationLoss)}` : formatExposure(x);
      });
      return { failed: false, cells: [r.id, `${name} (r=${insertions})`, methods.join(', ') || 'interpolation', ...cells] };
    }),
  };
}

/** Across retrained models (seeds): exposure mean and spread, and how often the canary was the most likely secret. */
export function seedTable(report: StudyReport): ComparisonTable | undefined {
  const rows = seedSpread(report);
  if (rows.length === 0) return undefined;
  return {
    header: ['mode', 'configuration', 'insertions', 'models', 'exposure mean (bits)', 'exposure sd (bits)', 'most likely secret in'],
    rows: rows.map((r) => ({
      failed: false,
      cells: [r.mode, r.label, String(r.insertions), String(r.models), formatExposure(r.meanExposure), formatExposure(r.sdExposure),
        `${r.topSecretIn} of ${r.models} (${Math.round((100 * r.topSecretIn) / r.models)}%)`],
    })),
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
  const modes = new Set(report.points.map((p) => p.point.mode ?? 'scratch'));
  const modeText = modes.has('fine-tune')
    ? `Mode "fine-tune" points start from the public model (trained without DP on public text that holds no canary; its own row, ` +
      `mode "public", is the reference: it never saw the private text, so its canaries sit at chance) and train on the private text; ` +
      `mode "scratch" points start from random weights. The recipe column gives each point's expected batch size B, learning rate, ` +
      `epochs and, for DP-SGD, clip norm C. `
    : '';
  return (
    `Each row is one trained model. ε is the privacy budget of DP-SGD at the study's δ for the private text (∞ = no differential privacy; ` +
    `smaller is more private). ${modeText}Validation loss and perplexity measure utility on held-out private text that never contains a canary ` +
    `(lower is better). Exposure (in bits) says how much more likely the model finds an inserted secret than other secrets of ` +
    `the same format: a canary the model did not memorize has exposure near 1-2 bits, a fully memorized one reaches ${max}. ` +
    `The column "exposure r=N" is for the canary inserted N times. "extracted" lists the canaries that a best-first search ` +
    `over the model's predictions (the Secret Sharer's attack) ranked among its 10 most likely secrets. DP bounds what one ` +
    `privacy unit reveals, the unit the ε column names: one training window, or one whole document or user (each sampled ` +
    `unit's mean gradient clipped as one example); at window level a canary inserted r times is covered only by group privacy ` +
    `of size r, and "ε for the largest user or document" says what a window-level ε gives the unit of the corpus that spans the ` +
    `most windows (k ε, or no guarantee once the group's δ reaches 1). "ε (PLD)" is the privacy ` +
    `loss distribution accountant's certified figure for the same run (tighter than RDP's; the run was budgeted with RDP). ` +
    `"ε lower bound (audit)" is what the one-run audit (Steinke, Nasr and Jagielski 2023) proves about one training window at ` +
    `95% confidence from audit canaries: a lower bound above ε would prove a bug; a bound far below ε says the attack found little, ` +
    `not that the guarantee is loose. Failed points are marked FAILED with their error and left out of the plots.`
  );
}

/** What the per-epoch table shows (shared with the HTML report). */
export const EPOCH_TABLE_TEXT =
  "Each point's most-inserted canary after every epoch: exposure (bits) / validation loss (nats per token). " +
  'Exposure that climbs while validation loss still falls is memorization without overfitting (the paper\'s finding).';

/** What the seed table shows (shared with the HTML report). */
export const SEED_TABLE_TEXT =
  'Each configuration retrained with different seeds: mean and standard deviation of each canary\'s exposure, and in how many ' +
  'models it was the single most likely secret of its format.';

function escapeCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/**
 * How the points used the cores: one per core, and which trained data-parallel on cores other
 * points left free (with the most threads each used). Undefined for reports without thread counts.
 */
export function schedulingNote(report: StudyReport): string | undefined {
  const ok = report.points.flatMap((r) => (r.status === 'ok' && r.threads !== undefined ? [r] : []));
  if (ok.length === 0) return undefined;
  const parallel = ok.filter((r) => r.threads! > 1);
  return parallel.length === 0
    ? 'Threads: every point trained in one thread (points ran side by side, one per core).'
    : 'Threads: points ran side by side, one per core; on cores left free (for example at the start or end of the study) these trained ' +
        `data-parallel: ${parallel.map((r) => `${r.id} (up to ${r.threads} threads)`).join(', ')}. Results differ from one thread only in rounding.`;
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
  const scheduling = schedulingNote(report);
  if (scheduling) lines.push(scheduling, '');
  const table = (t: ComparisonTable): void => {
    lines.push(`| ${t.header.map(escapeCell).join(' | ')} |`, `|${t.header.map(() => '---').join('|')}|`);
    for (const r of t.rows) lines.push(`| ${r.cells.map(escapeCell).join(' | ')} |`);
    lines.push('');
  };
  const et = epochTable(report);
  if (et) {
    lines.push('## Exposure during training', '', EPOCH_TABLE_TEXT, '');
    table(et);
  }
  const st = seedTable(report);
  if (st) {
    lines.push('## Across retrained models', '', SEED_TABLE_TEXT, '');
    table(st);
  }
  const nt = naturalTable(report);
  if (nt) {
    lines.push('## Natural secrets', '', NATURAL_TABLE_TEXT, '');
    table(nt);
  }
  if (failed.length > 0) {
    lines.push(`**${failed.length} point(s) failed**: ${failed.map((p) => p.id).join(', ')}. Rerun the study to retry them.`, '');
  }
  return lines.join('\n');
}
