/**
 * Timing helpers shared by the bench modules: the median of repetitions, and interleaved
 * timing of several kinds of step so that drift on a shared machine hits every kind alike.
 */

/** Median (the mean of the two middle values for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Times each kind once to warm up, then `reps` rounds in which every kind runs once, the
 * order rotating by one kind per round (with two kinds: A B, B A, A B, ...). `settle` runs
 * after each call, inside the timing (for example reading a weight, which waits for queued
 * work). Returns the times in ms by kind.
 */
export async function timeInterleaved<K extends string>(
  kinds: Record<K, () => unknown>,
  reps: number,
  settle: () => void = () => undefined,
): Promise<Record<K, number[]>> {
  const names = Object.keys(kinds) as K[];
  const time = async (k: K): Promise<number> => {
    const t0 = performance.now();
    await kinds[k]();
    settle();
    return performance.now() - t0;
  };
  for (const k of names) await time(k);
  const out = Object.fromEntries(names.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  for (let r = 0; r < reps; r++) {
    for (let j = 0; j < names.length; j++) {
      const k = names[(r + j) % names.length]!;
      out[k].push(await time(k));
    }
  }
  return out;
}
