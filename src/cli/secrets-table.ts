/** Terminal text of `dp-canary secrets`: one row per secret, then a summary per kind. */
import type { SecretScan } from '../data/secrets/scan.js';

/** What the table needs besides the scan. */
export interface SecretsTableInfo {
  readonly source: string;
  readonly seconds: number;
  /** Rows shown per kind (the summary always counts every secret). */
  readonly rowsPerKind: number;
}

/** The table of a scan: kind, secret, occurrences, documents, users, log2|R|; then totals per kind. */
export function formatSecretsTable(scan: SecretScan, info: SecretsTableInfo): string {
  const hasUsers = scan.users > 0;
  const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
  const out = [
    `scanned ${info.source}: ${count(scan.documents, 'document')}, ${hasUsers ? `${count(scan.users, 'user')}, ` : ''}` +
      `${count(scan.lines, 'line')}, ${count(scan.chars, 'character')} in ${info.seconds.toFixed(1)} s`,
  ];
  const shown = new Map<string, number>();
  const rows = scan.secrets.filter((s) => {
    const n = shown.get(s.kind) ?? 0;
    shown.set(s.kind, n + 1);
    return n < info.rowsPerKind;
  });
  if (rows.length > 0) {
    const width = Math.min(40, Math.max(6, ...rows.map((s) => s.text.length)));
    out.push(`  kind    ${'secret'.padEnd(width)}  occurrences  documents  users  log2|R| (bits)`);
    for (const s of rows) {
      const text = s.text.length > width ? `${s.text.slice(0, width - 1)}\u2026` : s.text.padEnd(width);
      out.push(
        `  ${s.kind.padEnd(6)}  ${text}  ${String(s.occurrences.length).padStart(11)}  ${String(s.documents).padStart(9)}  ` +
          `${(hasUsers ? String(s.users) : '-').padStart(5)}  ${s.spaceBits.toFixed(2).padStart(14)}`,
      );
    }
    const hidden = scan.secrets.length - rows.length;
    if (hidden > 0) out.push(`  (${hidden} more not shown: --json or --out lists all)`);
  }
  out.push('summary per kind:');
  for (const k of scan.summary) {
    const who = hasUsers ? `${k.oneUser} written by one user only, ` : '';
    out.push(`  ${k.kind.padEnd(6)}  ${k.distinct} distinct, ${k.occurrences} occurrences; ${who}${k.oneDocument} in one document only`);
  }
  return out.join('\n') + '\n';
}
