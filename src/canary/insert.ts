import type { RandomSource } from '../util/random.js';
import type { CanaryFormat } from './format.js';
import type { Canary } from './generate.js';
import type { CanaryManifest } from './manifest.js';

/** The corpus with canaries inserted, and the manifest that records where. */
export interface Insertion<C extends string | string[]> {
  /** Same kind as the input: lines joined with '\n' for a string, an array of lines/documents otherwise. */
  readonly corpus: C;
  readonly manifest: CanaryManifest;
}

/**
 * Insert every canary `insertions` times into a corpus, each copy as its own line (for a string
 * corpus, split on '\n') or its own document (for an array), at uniformly random places drawn
 * from `random`. Positions in the manifest are 0-based line/document indices of the output.
 *
 * ```ts
 * import { parseFormat } from 'dp-canary/canary';
 * const format = parseFormat('my pin is {digits:4}');
 * import { generateCanaries, insertCanaries, seededRandom } from 'dp-canary/canary';
 * const random = seededRandom(1); // reproducible; secureRandom() for a real audit
 * const canaries = generateCanaries(format, [2], random);
 * const { corpus, manifest } = insertCanaries('first line\nsecond line', format, canaries, random);
 * corpus.split('\n').length; // 4: two copies of the canary, each its own line
 * manifest.canaries[0]!.positions; // the two line indices
 * ```
 */
export function insertCanaries(
  corpus: string,
  format: CanaryFormat,
  canaries: readonly Canary[],
  random: RandomSource,
): Insertion<string>;
export function insertCanaries(
  corpus: readonly string[],
  format: CanaryFormat,
  canaries: readonly Canary[],
  random: RandomSource,
): Insertion<string[]>;
export function insertCanaries(
  corpus: string | readonly string[],
  format: CanaryFormat,
  canaries: readonly Canary[],
  random: RandomSource,
): Insertion<string | string[]> {
  const lines = typeof corpus === 'string' ? corpus.split('\n') : corpus;
  const copies: number[] = [];
  canaries.forEach((c, k) => {
    for (let j = 0; j < c.insertions; j++) copies.push(k);
  });
  const total = lines.length + copies.length;
  // Floyd's algorithm: a uniform set of copies.length distinct slots among `total`.
  const slots = new Set<number>();
  for (let j = total - copies.length; j < total; j++) {
    const t = random.int(j + 1);
    slots.add(slots.has(t) ? j : t);
  }
  // Fisher-Yates: which canary goes to which slot.
  for (let j = copies.length - 1; j > 0; j--) {
    const t = random.int(j + 1);
    [copies[j], copies[t]] = [copies[t]!, copies[j]!];
  }
  const sortedSlots = [...slots].sort((a, b) => a - b);
  const positions: number[][] = canaries.map(() => []);
  const out: string[] = new Array<string>(total);
  let next = 0;
  sortedSlots.forEach((slot, j) => {
    const k = copies[j]!;
    positions[k]!.push(slot);
    out[slot] = canaries[k]!.text;
  });
  for (let p = 0; p < total; p++) {
    if (slots.has(p)) continue;
    out[p] = lines[next++]!;
  }
  const manifest: CanaryManifest = {
    format: format.template,
    randomSource: random.kind,
    corpusUnits: total,
    canaries: canaries.map((c, k) => ({ ...c, positions: positions[k]! })),
  };
  return { corpus: typeof corpus === 'string' ? out.join('\n') : out, manifest };
}
