import { comparePoints } from './jobs.js';
import type { OkPointResult, PointMode, PointResult, StudyPoint, StudyReport } from './types.js';
import type { PrivacyUnit } from '../data/units.js';
import type { GroupPrivacy } from '../pipeline/units.js';

/** One table row: a point's headline numbers, aggregated per insertion count. */
export interface SummaryRow {
  id: string;
  /** 'public' (the reference model), 'fine-tune' or 'scratch'. */
  mode: PointMode;
  /** The point's training recipe in one line, e.g. "B=512, lr=0.02, 15 ep, C=0.5". */
  recipe: string;
  mitigation: string;
  /** Configuration label without the seed, e.g. "DP-SGD ε=3 per window". */
  label: string;
  /** What the point's epsilon is per. */
  privacyUnit: PrivacyUnit;
  seed: number;
  status: 'ok' | 'failed';
  error?: string;
  /** Epsilon (natural-log units); Infinity for non-private points; undefined when failed. */
  epsilon?: number;
  /** The PLD accountant's epsilon for the same run (undefined when not recorded). */
  epsilonPld?: number;
  /** The one-run audit's empirical lower bound on epsilon (undefined without audit canaries). */
  auditLowerBound?: number;
  /** Private window-level points: group privacy of the largest document or user (when the corpus tells). */
  groupPrivacy?: GroupPrivacy;
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

/** The training recipe of a point in one line (clip only for DP points). */
export function recipeLabel(p: StudyPoint): string {
  const parts = [`B=${p.batchSize}`, `lr=${p.learningRate}`, `${p.epochs} ep`];
  if (p.mitigation === 'dp') parts.push(`C=${p.clip}`);
  return parts.join(', ');
}

/** Human label of a point's configuration without its seed (and without its mode). */
export function configLabelOf(r: PointResult): string {
  const p = r.point;
  if (p.mode === 'public') return 'public model (no private data)';
  switch (p.mitigation) {
    case 'none':
      return 'none (baseline)';
    case 'dp':
      return `DP-SGD ε=${p.targetEpsilon} per ${p.privacyUnit ?? 'window'}`;
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
    const base = {
      id: r.id, mode: r.point.mode ?? 'scratch', recipe: recipeLabel(r.point), mitigation: r.point.mitigation, label: configLabelOf(r), seed: r.point.seed,
      privacyUnit: r.point.privacyUnit ?? 'window',
    };
    if (r.status === 'failed') {
      return { ...base, status: 'failed', error: r.error, exposureByInsertions: {}, extractedInsertions: [] };
    }
    const extracted = [...new Set(r.canaries.filter((c) => c.extracted).map((c) => c.insertions))].sort((a, b) => a - b);
    return {
      ...base,
      status: 'ok',
      epsilon: r.epsilon,
      ...(r.epsilonPld !== undefined ? { epsilonPld: r.epsilonPld } : {}),
      ...(r.audit ? { auditLowerBound: r.audit.epsilonLowerBound } : {}),
      ...(r.groupPrivacy ? { groupPrivacy: r.groupPrivacy } : {}),
      validationLoss: r.validationLoss,
      validationPerplexity: r.validationPerplexity,
      log2R: r.log2R,
      exposureByInsertions: exposureByInsertions(r),
      extractedInsertions: extracted,
    };
  });
}

/** Whether a canary was the model's single most likely secret (rank 1 of all |R|). */
export function isTopSecret(c: OkPointResult['canaries'][number], log2R: number): boolean {
  return (c.exposureMethod === 'exact' && c.exposure >= log2R - 1e-9) || c.extractionRank === 1;
}

/** One configuration's canary across its seeds (retrained models). */
export interface SeedSpreadRow {
  mode: PointMode;
  label: string;
  insertions: number;
  /** Models (seeds) measured. */
  models: number;
  /** Mean and sample standard deviation of the exposure, bits. */
  meanExposure: number;
  sdExposure: number;
  /** Models in which the canary was the single most likely secret. */
  topSecretIn: number;
}

/**
 * For each configuration run with two or more seeds: per insertion count, the mean and spread
 * of the exposure over the retrained models and in how many the canary was the most likely
 * secret (the paper reports this share over retrainings). Empty when every configuration has one seed.
 */
export function seedSpread(report: StudyReport): SeedSpreadRow[] {
  const groups = new Map<string, OkPointResult[]>();
  for (const r of orderedResults(report)) {
    if (r.status !== 'ok' || r.point.mode === 'public') continue;
    const key = `${r.point.mode ?? 'scratch'}|${configLabelOf(r)}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const rows: SeedSpreadRow[] = [];
  for (const rs of groups.values()) {
    if (rs.length < 2) continue;
    const counts = [...new Set(rs.flatMap((r) => r.canaries.map((c) => c.insertions)))].sort((a, b) => a - b);
    for (const n of counts) {
      const xs = rs.flatMap((r) => r.canaries.filter((c) => c.insertions === n).map((c) => ({ c, log2R: r.log2R })));
      const mean = xs.reduce((s, x) => s + x.c.exposure, 0) / xs.length;
      const sd = xs.length > 1 ? Math.sqrt(xs.reduce((s, x) => s + (x.c.exposure - mean) ** 2, 0) / (xs.length - 1)) : 0;
      rows.push({
        mode: rs[0]!.point.mode ?? 'scratch',
        label: configLabelOf(rs[0]!),
        insertions: n,
        models: xs.length,
        meanExposure: mean,
        sdExposure: sd,
        topSecretIn: xs.filter((x) => isTopSecret(x.c, x.log2R)).length,
      });
    }
  }
  return rows;
}
