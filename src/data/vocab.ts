/** Vocabulary helpers shared by the character and word tokenizers. */

/**
 * The symbols a vocabulary always keeps, deduplicated in first-seen order: `base`, then
 * `extra` (lowercased when the tokenizer lowercases; split into characters when `perChar`).
 */
export function requiredSymbols(
  base: readonly string[],
  extra: Iterable<string> | undefined,
  lowercase: boolean,
  perChar: boolean,
): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const push = (s: string): void => {
    if (!seen.has(s)) {
      seen.add(s);
      out.push(s);
    }
  };
  base.forEach(push);
  for (const e of extra ?? []) {
    const s = lowercase ? e.toLowerCase() : e;
    if (perChar) for (const ch of s) push(ch);
    else push(s);
  }
  return out;
}

/**
 * `always` followed by the most frequent other symbols of `counts` (ties broken by code
 * point order, so the result does not depend on Map insertion order), `limit` symbols in all.
 */
export function countAndRank(counts: ReadonlyMap<string, number>, always: readonly string[], limit: number): string[] {
  const keep = new Set(always);
  const rest = [...counts.entries()]
    .filter(([s]) => !keep.has(s))
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const room = Math.max(0, limit - always.length);
  return [...always, ...rest.slice(0, room).map(([s]) => s)];
}
