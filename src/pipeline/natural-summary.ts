import type { SecretKind } from '../data/secrets/types.js';

/**
 * Exposure of natural secrets against how often they occur and how many people wrote them,
 * per kind: the paper's question (does a secret repeated by one person leak?) in one table.
 */

/** What the summary needs of one measured secret. */
export interface SummarizedSecret {
  kind: SecretKind;
  /** Occurrences in the corpus scanned. */
  occurrences: number;
  /** Distinct users holding it (0: unknown). */
  users: number;
  testable: boolean;
  /** Bits; null when not testable. */
  exposure: number | null;
  extracted: boolean;
}

/** Buckets of the number of occurrences, and of users. */
export const OCCURRENCE_BUCKETS = [
  { label: '0', lo: 0, hi: 0 },
  { label: '1', lo: 1, hi: 1 },
  { label: '2-3', lo: 2, hi: 3 },
  { label: '4-15', lo: 4, hi: 15 },
  { label: '16+', lo: 16, hi: Infinity },
] as const;
export const USER_BUCKETS = [
  { label: 'unknown', lo: 0, hi: 0 },
  { label: '1', lo: 1, hi: 1 },
  { label: '2+', lo: 2, hi: Infinity },
] as const;

/** Secrets of one bucket: how many, how many measured, their exposure (bits) and how many were extracted. */
export interface ExposureBucket {
  bucket: string;
  secrets: number;
  testable: number;
  /** Mean, median and largest exposure of the testable secrets (null when none). */
  meanExposure: number | null;
  medianExposure: number | null;
  maxExposure: number | null;
  extracted: number;
}

export interface KindSummary {
  kind: SecretKind;
  secrets: number;
  testable: number;
  extracted: number;
  /** Non-empty buckets only. */
  byOccurrences: ExposureBucket[];
  byUsers: ExposureBucket[];
}

function bucket(label: string, items: readonly SummarizedSecret[]): ExposureBucket {
  const xs = items.filter((s) => s.testable && s.exposure !== null).map((s) => s.exposure!).sort((a, b) => a - b);
  const n = xs.length;
  const median = n === 0 ? null : n % 2 === 1 ? xs[(n - 1) / 2]! : (xs[n / 2 - 1]! + xs[n / 2]!) / 2;
  return {
    bucket: label,
    secrets: items.length,
    testable: n,
    meanExposure: n === 0 ? null : xs.reduce((a, b) => a + b, 0) / n,
    medianExposure: median,
    maxExposure: n === 0 ? null : xs[n - 1]!,
    extracted: items.filter((s) => s.extracted).length,
  };
}

function byBuckets(items: readonly SummarizedSecret[], buckets: readonly { label: string; lo: number; hi: number }[], value: (s: SummarizedSecret) => number): ExposureBucket[] {
  return buckets
    .map((b) => bucket(b.label, items.filter((s) => value(s) >= b.lo && value(s) <= b.hi)))
    .filter((b) => b.secrets > 0);
}

/** Per kind (in order of first appearance): exposure against occurrences (1, 2-3, 4-15, 16+) and users (1, 2+). */
export function summarizeNaturalSecrets(secrets: readonly SummarizedSecret[]): KindSummary[] {
  const kinds = [...new Set(secrets.map((s) => s.kind))];
  return kinds.map((kind) => {
    const items = secrets.filter((s) => s.kind === kind);
    return {
      kind,
      secrets: items.length,
      testable: items.filter((s) => s.testable).length,
      extracted: items.filter((s) => s.extracted).length,
      byOccurrences: byBuckets(items, OCCURRENCE_BUCKETS, (s) => s.occurrences),
      byUsers: byBuckets(items, USER_BUCKETS, (s) => s.users),
    };
  });
}
