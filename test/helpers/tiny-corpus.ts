import { seededRandom } from '../../src/util/random.js';

/** A small English-like corpus from a fixed grammar (deterministic, no network). */
export function tinyCorpus(lines: number): string {
  const r = seededRandom('tiny-corpus');
  const pick = <T>(xs: readonly T[]): T => xs[r.int(xs.length)]!;
  const subjects = ['the cat', 'a dog', 'my friend', 'the old man', 'her sister', 'the teacher'];
  const verbs = ['sees', 'likes', 'finds', 'calls', 'meets', 'helps'];
  const objects = ['the house', 'a bird', 'the river', 'his car', 'the garden', 'a letter'];
  const tails = ['today', 'at night', 'in the park', 'again', 'before lunch', 'with care'];
  return Array.from({ length: lines }, () => `${pick(subjects)} ${pick(verbs)} ${pick(objects)} ${pick(tails)}.`).join('\n') + '\n';
}
