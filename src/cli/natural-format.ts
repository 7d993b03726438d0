import type { NaturalSecretRecord, NaturalSecretsReport } from '../pipeline/natural-secrets.js';
import type { ExposureBucket } from '../pipeline/natural-summary.js';

/** Terminal text of `dp-canary natural-exposure`: a table per kind, then the summary. */

const bits = (x: number | null): string => (x === null ? '-' : x.toFixed(1));

/** A context shown on one line: its last `width` characters, line breaks as '⏎'. */
function shortContext(text: string, width: number): string {
  const flat = text.replace(/\n/g, '⏎');
  return flat.length <= width ? flat : '…' + flat.slice(flat.length - width + 1);
}

/** One secret's progress line (stderr). */
export function formatSecretProgress(r: NaturalSecretRecord, done: number, total: number): string {
  const what = r.testable
    ? `exposure ${bits(r.exposure)} bits${r.estimated ? ' (estimated)' : ''}${r.extracted ? `, EXTRACTED at rank ${r.extractionRank}` : ''}`
    : `not testable: ${r.reason}`;
  return `[${done}/${total}] ${r.kind} ${r.text}: ${what} (${r.seconds.toFixed(1)} s)\n`;
}

function secretRow(r: NaturalSecretRecord): string {
  const head = `  ${r.text.padEnd(20)} ${String(r.occurrences).padStart(5)} ${String(r.documents).padStart(5)} ${String(r.users).padStart(5)} ${r.spaceBits.toFixed(1).padStart(6)}`;
  if (!r.testable) return `${head}  not testable: ${r.reason}\n`;
  const best = r.contexts[r.bestContext!]!;
  const exposure = `${bits(r.exposure)}${r.estimated ? '~' : ' '}`.padStart(9);
  const extracted = r.extracted ? `yes (#${r.extractionRank}, ${r.extractionQueries} q)` : r.extractionQueries === null ? 'not run' : 'no';
  const unknown = best.unknownTokens > 0 ? ` [${best.unknownTokens} unknown]` : '';
  return `${head} ${exposure}  ${extracted.padEnd(20)} #${best.occurrence} "${shortContext(best.text, 32)}"${unknown}\n`;
}

function bucketRow(by: string, b: ExposureBucket): string {
  return (
    `  ${by} ${b.bucket.padEnd(8)} ${String(b.secrets).padStart(7)} ${String(b.testable).padStart(8)} ` +
    `${bits(b.meanExposure).padStart(6)} ${bits(b.medianExposure).padStart(7)} ${bits(b.maxExposure).padStart(6)} ${String(b.extracted).padStart(10)}\n`
  );
}

/** The whole report as text. */
export function formatNaturalReport(report: NaturalSecretsReport): string {
  const s = report.settings;
  let out =
    `natural secrets of run ${report.run} (${report.tokenizer} tokenizer): exposure in bits against each secret's own format, ` +
    `exact up to |R| = ${s.maxExactSpace} (above: exact when a walk of ${s.exactWalkRows} queries ranks it, else estimated from ${s.references} references per context, marked ~), ` +
    `best of the first ${s.contexts} contexts; extracted = among the top ${s.extractTop} of the search ` +
    (s.maxQueries > 0 ? `(budget ${s.maxQueries} queries)\n` : '(extraction not run)\n');
  if (report.secrets.length === 0) return out + 'no secrets of the kinds asked\n';
  for (const k of report.summary) {
    const rows = report.secrets.filter((r) => r.kind === k.kind).sort((a, b) => b.occurrences - a.occurrences);
    out += `\n${k.kind}: ${k.secrets} secrets, ${k.testable} testable, ${k.extracted} extracted\n`;
    out += `  ${'secret'.padEnd(20)} ${'occ'.padStart(5)} ${'docs'.padStart(5)} ${'users'.padStart(5)} ${'log2R'.padStart(6)} ${'exposure'.padStart(9)}  ${'extracted'.padEnd(20)} best context\n`;
    for (const r of rows) out += secretRow(r);
  }
  out += `\nsummary (exposure in bits of the testable secrets)\n`;
  for (const k of report.summary) {
    out += `${k.kind}\n  ${'by'.padEnd(11)} ${'bucket'.padEnd(8)} ${'secrets'.padStart(7)} ${'testable'.padStart(8)} ${'mean'.padStart(6)} ${'median'.padStart(7)} ${'max'.padStart(6)} ${'extracted'.padStart(10)}\n`;
    for (const b of k.byOccurrences) out += bucketRow('occurrences', b);
    for (const b of k.byUsers) out += bucketRow('users      ', b);
  }
  const notes = new Set(report.secrets.flatMap((r) => r.notes));
  for (const n of notes) out += `note: ${n}\n`;
  return out;
}
