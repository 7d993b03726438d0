/**
 * JSON has no Infinity or NaN; dp-canary writes them as the strings "Infinity", "-Infinity"
 * and "NaN" (an epsilon of a non-private run is "Infinity"), in files and on stdout alike.
 */
function replaceNonFinite(_key: string, v: unknown): unknown {
  if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  return v;
}

/** One-line JSON (for stdout) with non-finite numbers as strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, replaceNonFinite);
}

/** Pretty JSON with a trailing newline (for files) with non-finite numbers as strings. */
export function toPrettyJson(value: unknown): string {
  return JSON.stringify(value, replaceNonFinite, 2) + '\n';
}
