import { describe, expect, it } from 'vitest';
import { splitTrainValidation } from '../../src/data/split.js';
import { loadBrownCorpus } from '../../src/data/brown.js';
import { buildCharTokenizer } from '../../src/data/char-tokenizer.js';
import { linesToTokens } from '../../src/data/tokenizer-json.js';
import { seededRandom } from '../../src/util/random.js';
import { InvalidArgumentError } from '../../src/util/errors.js';

const lines = Array.from({ length: 1000 }, (_, i) => `line ${i}`);

describe('train/validation split', () => {
  it('partitions the lines, keeps order, and is reproducible from the seed', () => {
    const a = splitTrainValidation(lines, 0.1, seededRandom(7));
    expect(a.validation.length).toBe(100);
    expect(a.train.length).toBe(900);
    expect([...a.train, ...a.validation].sort()).toEqual([...lines].sort());
    const order = (xs: string[]) => xs.map((x) => Number(x.split(' ')[1]));
    expect(order(a.train)).toEqual([...order(a.train)].sort((x, y) => x - y));
    expect(splitTrainValidation(lines, 0.1, seededRandom(7))).toEqual(a);
    expect(splitTrainValidation(lines, 0.1, seededRandom(8)).validation).not.toEqual(a.validation);
  });

  it('chooses validation lines uniformly: each line lands there with probability ~ fraction', () => {
    const small = Array.from({ length: 20 }, (_, i) => String(i));
    const hits = new Array<number>(20).fill(0);
    const trials = 2000;
    const rng = seededRandom('uniform-split');
    for (let t = 0; t < trials; t++) for (const v of splitTrainValidation(small, 0.25, rng).validation) hits[Number(v)]!++;
    // Each count ~ Binomial(2000, 0.25): mean 500, sd ~19.4; 5 sd bounds.
    for (const h of hits) expect(Math.abs(h - 500)).toBeLessThan(97);
  });

  it('never puts a canary in validation: canaries inserted after the split reach train only', () => {
    const corpus = loadBrownCorpus({ maxChars: 30_000 }).lines;
    const { train, validation } = splitTrainValidation(corpus, 0.2, seededRandom(1));
    const canary = 'the random number is 281265017';
    // Simulate the canary module: insert the canary 16 times at random train positions.
    const rng = seededRandom(2);
    const withCanaries = [...train];
    for (let i = 0; i < 16; i++) withCanaries.splice(rng.int(withCanaries.length + 1), 0, canary);
    const tok = buildCharTokenizer(withCanaries, { lowercase: true });
    const trainText = tok.decode(Array.from(linesToTokens(withCanaries, tok)));
    const valText = tok.decode(Array.from(linesToTokens(validation, tok)));
    expect(trainText.split(canary).length - 1).toBe(16);
    expect(valText.includes('281265017')).toBe(false);
    expect(validation.some((l) => l.includes(canary))).toBe(false);
  });

  it('rejects bad fractions and tiny corpora', () => {
    expect(() => splitTrainValidation(lines, 0, seededRandom(1))).toThrow(InvalidArgumentError);
    expect(() => splitTrainValidation(lines, 1, seededRandom(1))).toThrow(InvalidArgumentError);
    expect(() => splitTrainValidation(['one'], 0.5, seededRandom(1))).toThrow(InvalidArgumentError);
    const two = splitTrainValidation(['a', 'b'], 0.01, seededRandom(1));
    expect(two.train.length).toBe(1);
    expect(two.validation.length).toBe(1);
  });
});
