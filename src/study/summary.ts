import { comparePoints } from './jobs.js';
import type { OkPointResult, PointResult, StudyReport } from './types.js';

/** One table row: a point's headline numbers, aggregated per insertion count. */
export interface SummaryRow {
  id: string;
  mitigation: string;
  /** Configuration label without the seed, e.g. "DP-SGD ε=3". */
  label: string;
  seed: number;
  status: 'ok' | 'failed';
  error?: string;
  /** Epsilon (natural-log units); Infinity for non-private points; undefined when failed. */
  epsilon?: number;
  validationLoss?: number;
  validationPerplexity?: number;
  /** log2 |R| in bits. */
  log2R?: number;
  /** Mean exposure (bits) of the canaries inserted r times, by r. */
  exposureByInsertions: Record<number, number>;
  /** Insertion counts whose canary (any of them) was extracted. */
  extractedInsertions: number[];
}

/** The insertion counts present in a report, ascending. */
export function insertionCounts(report: StudyReport): number[] {
  const s = new Set<number>();
  for (const r of report.points) {
    for (const n of r.point.insertions) s.add(n);
    if (r.status === 'ok') for (const c of r.canaries) s.add(c.insertions);
  }
  return [...s].sort((a, b) => a - b);
}

/** Points in report order: baseline, DP by epsilon, dropout, weight decay, sanitised. */
export function orderedResults(report: StudyReport): PointResult[] {
  return [...report.points].sort((a, b) => comparePoints(a.point, b.point));
}

/** Mean exposure (bits) per insertion count of one result. */
export function exposureByInsertions(r: OkPointResult): Record<number, number> {
  const sums = new Map<number, { s: number; n: number }>();
  for (const c of r.canaries) {
    const e = sums.get(c.insertions) ?? { s: 0, n: 0 };
    e.s += c.exposure;
    e.n += 1;
    sums.set(c.insertions, e);
  }
  return Object.fromEntries([...sums].map(([k, { s, n }]) => [k, s / n]));
}

/** Human label of a point's configuration without its seed. */
export function configLabelOf(r: PointResult): string {
  const p = r.point;
  switch (p.mitigation) {
    case 'none':
      return 'none (baseline)';
    case 'dp':
      return `DP-SGD ε=${p.targetEpsilon}`;
    case 'dropout':
      return `dropout ${p.dropout}`;
    case 'weight-decay':
      return `weight decay ${p.weightDecay}`;
    case 'sanitize':
      return 'sanitised';
  }
}

/** Table rows of a report in report order. */
export function summaryRows(report: StudyReport): SummaryRow[] {
  return orderedResults(report).map((r) => {
    const base = { id: r.id, mitigation: r.point.mitigation, label: configLabelOf(r), seed: r.point.seed };
    if (r.status === 'failed') {
      return { ...base, status: 'failed', error: r.error, exposureByInsertions: {}, extractedInsertions: [] };
    }
    const extracted = [...new Set(r.canaries.filter((c) => c.extracted).map((c) => c.insertions))].sort((a, b) => a - b);
    return {
      ...base,
      status: 'ok',
      epsilon: r.epsilon,
      validationLoss: r.validationLoss,
      validationPerplexity: r.validationPerplexity,
      log2R: r.log2R,
      exposureByInsertions: exposureByInsertions(r),
      extractedInsertions: extracted,
    };
  });
}
