import type { RandomSource } from '../util/random.js';
import { InvalidArgumentError } from '../util/errors.js';
import { type CanaryFormat, fillFormat, spaceSize } from './format.js';

/** One canary: a random secret of a format, and how many times it is inserted. */
export interface Canary {
  /** Unique name, e.g. 'canary-0'. */
  readonly name: string;
  /** The secret (alphabet symbols only). */
  readonly secret: string;
  /** The whole canary text: prefix + secret + suffix. */
  readonly text: string;
  /** Number of copies inserted into the corpus (>= 1). */
  readonly insertions: number;
}

/** How often to redraw a secret that collides before giving up. */
const MAX_REDRAWS = 10_000;

/**
 * Draw one canary per entry of `insertions` (e.g. [1, 2, 4, 8, 16, 32]), each a uniform secret
 * of R drawn from `random`. No two canaries share a secret, and no canary text already occurs in
 * `corpus` (a colliding draw is redrawn). Names are `${namePrefix}-${i}`.
 *
 * ```ts
 * import { parseFormat } from 'dp-canary/canary';
 * const format = parseFormat('my pin is {digits:4}');
 * import { generateCanaries, secureRandom } from 'dp-canary/canary';
 * const canaries = generateCanaries(format, [1, 10], secureRandom()); // inserted once, and 10 times
 * canaries[1]!.text; // 'my pin is ' and 4 random digits
 * ```
 */
export function generateCanaries(
  format: CanaryFormat,
  insertions: readonly number[],
  random: RandomSource,
  opts: { corpus?: string | readonly string[]; namePrefix?: string } = {},
): Canary[] {
  if (insertions.length === 0) throw new InvalidArgumentError('at least one canary is needed');
  for (const n of insertions) {
    if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`a canary's insertion count must be an integer >= 1, got ${n}`);
  }
  if (BigInt(insertions.length) > spaceSize(format)) {
    throw new InvalidArgumentError(`format '${format.template}' has only ${spaceSize(format)} secrets, fewer than the ${insertions.length} canaries asked for`);
  }
  const corpus = opts.corpus === undefined ? [] : typeof opts.corpus === 'string' ? [opts.corpus] : opts.corpus;
  const inCorpus = (text: string): boolean => corpus.some((doc) => doc.includes(text));
  const prefix = opts.namePrefix ?? 'canary';
  const secrets = new Set<string>();
  return insertions.map((count, i) => {
    for (let attempt = 0; attempt < MAX_REDRAWS; attempt++) {
      let secret = '';
      for (let k = 0; k < format.length; k++) secret += format.alphabet[random.int(format.alphabet.length)]!;
      const text = fillFormat(format, secret);
      if (secrets.has(secret) || inCorpus(text)) continue;
      secrets.add(secret);
      return { name: `${prefix}-${i}`, secret, text, insertions: count };
    }
    throw new InvalidArgumentError(`could not draw a canary of format '${format.template}' that is not already in the corpus after ${MAX_REDRAWS} tries`);
  });
}
