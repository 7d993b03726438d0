/**
 * The natural-secret part of a study report (points run with naturalSecrets): one table with a
 * row per secret and a column per point (exposure in bits, marked when extracted), and a plot
 * of exposure against the number of occurrences.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { OkPointResult, StudyReport } from './types.js';

/** A table of rows of cells (the shape of markdown.ts's ComparisonTable, which renders it). */
export interface NaturalTable {
  header: string[];
  rows: { cells: string[]; failed: boolean }[];
}

/** Points that measured natural secrets, in report order. */
function naturalPoints(report: StudyReport): OkPointResult[] {
  return report.points.filter((p): p is OkPointResult => p.status === 'ok' && p.naturalSecrets !== undefined);
}

/** What the natural-secret table says, for the report's reader. */
export const NATURAL_TABLE_TEXT =
  'Real secrets found in the training mails (phone, card and social-security numbers that occur at least three times), each scored in the context of its first occurrence (the text before it) against every number of its shape (log2|R| bits): exposure in bits per point, "*" when estimated from 500 sampled numbers (skew-normal fit), "extracted" when the extraction search from that context (at most 20,000 queries) ranked it among its 10 most likely candidates. Occurrences, documents and users count the training mails.';

/** One row per natural secret (most occurrences first), one exposure column per point; undefined when no point measured them. */
export function naturalTable(report: StudyReport): NaturalTable | undefined {
  const points = naturalPoints(report);
  if (points.length === 0) return undefined;
  const secrets = new Map<string, { kind: string; text: string; occurrences: number; documents: number; users: number; spaceBits: number }>();
  for (const p of points) for (const s of p.naturalSecrets!) if (!secrets.has(`${s.kind}:${s.text}`)) secrets.set(`${s.kind}:${s.text}`, s);
  const rows = [...secrets.entries()]
    .sort((a, b) => b[1].occurrences - a[1].occurrences || a[1].text.localeCompare(b[1].text))
    .map(([key, s]) => ({
      failed: false,
      cells: [
        s.kind, s.text, String(s.occurrences), String(s.documents), String(s.users), s.spaceBits.toFixed(1),
        ...points.map((p) => {
          const m = p.naturalSecrets!.find((x) => `${x.kind}:${x.text}` === key);
          if (!m) return '';
          if (m.exposure === null) return 'not testable';
          return `${m.exposure.toFixed(2)}${m.estimated ? '*' : ''}${m.extracted ? ' extracted' : ''}`;
        }),
      ],
    }));
  const summary = {
    failed: false,
    cells: [
      'all', `${secrets.size} secrets`, '', '', '', '',
      ...points.map((p) => `${p.naturalSecrets!.filter((s) => s.extracted).length} of ${p.naturalSecrets!.length} extracted`),
    ],
  };
  return { header: ['kind', 'secret', 'occurrences', 'documents', 'users', 'log2|R|', ...points.map((p) => p.id)], rows: [...rows, summary] };
}

/** Exposure (bits) of each natural secret against its number of occurrences, one colour per point. */
export function naturalExposureSpec(report: StudyReport): TopLevelSpec | undefined {
  const values = naturalPoints(report).flatMap((p, order) =>
    p.naturalSecrets!.filter((s) => s.exposure !== null).map((s) => ({ point: p.id, order, occurrences: s.occurrences, exposure: s.exposure, secret: s.text, extracted: s.extracted ? 'extracted' : 'not extracted' })),
  );
  if (values.length === 0) return undefined;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Natural secrets: exposure against occurrences in the training mails, per point',
    width: 560,
    height: 300,
    data: { values },
    mark: { type: 'point', filled: true, size: 60, opacity: 0.8 },
    encoding: {
      x: { field: 'occurrences', type: 'quantitative', scale: { type: 'log' }, title: 'occurrences in the training mails' },
      y: { field: 'exposure', type: 'quantitative', title: 'exposure (bits)' },
      color: { field: 'point', type: 'nominal', sort: { field: 'order', op: 'min' }, title: 'point' },
      shape: { field: 'extracted', type: 'nominal', title: '' },
      tooltip: [{ field: 'secret' }, { field: 'point' }, { field: 'exposure' }],
    },
  } as TopLevelSpec;
}
