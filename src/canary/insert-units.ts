import { InvalidArgumentError } from '../util/errors.js';
import type { RandomSource } from '../util/random.js';
import type { CanaryFormat } from './format.js';
import type { Canary } from './generate.js';
import { insertCanaries } from './insert.js';
import type { CanaryManifest, ManifestCanary } from './manifest.js';

/** One privacy unit's training lines, and the key that names it (a user, a document id). */
export interface LinesUnit {
  readonly key: string;
  readonly lines: readonly string[];
}

/** The units with canaries inserted, and the manifest (positions count lines over all units in order). */
export interface UnitInsertion {
  /** The units' lines after insertion, in the input order. */
  readonly units: string[][];
  readonly manifest: CanaryManifest;
}

/**
 * Inserts ALL copies of each canary into ONE unit (a user's documents, one document), as a
 * privacy engineer plants a secret that one person writes r times. The unit is drawn uniformly
 * by `random` among the units with at least r lines (big enough to hold r copies spread among
 * its own lines), preferring units that hold no canary yet; canaries with more copies choose
 * first (`opts.bigEnough` may demand more of a unit, e.g. one training window of text). Within the unit the copies go to uniformly random line positions (insertCanaries).
 * Manifest positions are line indices in the concatenation of all units after insertion, and
 * each canary records its unit's key. InvalidArgumentError when no unit is big enough.
 */
export function insertCanariesInUnits(
  units: readonly LinesUnit[],
  format: CanaryFormat,
  canaries: readonly Canary[],
  random: RandomSource,
  opts: { readonly bigEnough?: (unit: number) => boolean } = {},
): UnitInsertion {
  const hosts = new Array<number>(canaries.length);
  const taken = new Set<number>();
  const order = canaries.map((_, k) => k).sort((a, b) => canaries[b]!.insertions - canaries[a]!.insertions || a - b);
  for (const k of order) {
    const r = canaries[k]!.insertions;
    const big = units.map((_, u) => u).filter((u) => units[u]!.lines.length >= r && (opts.bigEnough?.(u) ?? true));
    if (big.length === 0) {
      throw new InvalidArgumentError(`no unit is big enough to hold canary '${canaries[k]!.name}' inserted ${r} times (at least ${r} lines; the largest has ${Math.max(0, ...units.map((u) => u.lines.length))})`);
    }
    const free = big.filter((u) => !taken.has(u));
    const pool = free.length > 0 ? free : big;
    const u = pool[random.int(pool.length)]!;
    hosts[k] = u;
    taken.add(u);
  }
  const out: string[][] = [];
  const found: ManifestCanary[] = new Array<ManifestCanary>(canaries.length);
  let offset = 0;
  units.forEach((unit, u) => {
    const here = canaries.map((c, k) => ({ c, k })).filter(({ k }) => hosts[k] === u);
    const inserted = insertCanaries(unit.lines, format, here.map(({ c }) => c), random.fork(`unit-${u}`));
    here.forEach(({ k }, j) => {
      const m = inserted.manifest.canaries[j]!;
      found[k] = { ...m, positions: m.positions.map((p) => p + offset), unit: unit.key };
    });
    out.push(inserted.corpus);
    offset += inserted.corpus.length;
  });
  return {
    units: out,
    manifest: { format: format.template, randomSource: random.kind, corpusUnits: offset, canaries: found },
  };
}
