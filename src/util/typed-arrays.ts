/** Typed arrays of one kind laid end to end in a new array of that kind. */
export function concatTyped<T extends Float32Array | Float64Array | Int32Array>(parts: readonly T[], make: (length: number) => T): T {
  const out = make(parts.reduce((n, p) => n + p.length, 0));
  let k = 0;
  for (const p of parts) {
    out.set(p, k);
    k += p.length;
  }
  return out;
}
