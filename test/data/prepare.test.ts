import { describe, expect, it } from 'vitest';
import { prepareData } from '../../src/data/prepare.js';
import { linesToTokens } from '../../src/data/tokenizer-json.js';

const settings = {
  corpus: 'brown',
  corpusMaxChars: 20_000,
  validationFraction: 0.1,
  tokenizer: 'word' as const,
  lowercase: true,
  maxVocab: 60,
  requiredText: ['the random number is '], // the prefix of 'the random number is {digits:9}'
};

describe('prepareData', () => {
  it('splits reproducibly from the data seed and makes every canary representable', () => {
    const a = prepareData(settings, 5);
    const b = prepareData(settings, 5);
    expect(b.train).toEqual(a.train);
    expect(b.validation).toEqual(a.validation);
    expect(a.train.length + a.validation.length).toBe(a.corpus.lines.length);
    expect(prepareData(settings, 6).validation).not.toEqual(a.validation);
    const canary = 'the random number is 281265017';
    const ids = Array.from(linesToTokens([canary], a.tokenizer));
    expect(prepareData({ ...settings, requiredText: [] }, 5).tokenizer.idOf('random')).toBeUndefined(); // too rare for 60 words
    expect(ids).not.toContain(0); // no <unk>, even with a 60-word vocabulary
    expect(ids.length).toBe(4 + 9 + 1);
    expect(a.tokenizer.decode(ids.slice(0, -1))).toBe(canary);
  });

  it('works at character level too', () => {
    const c = prepareData({ ...settings, tokenizer: 'char', maxVocab: 40 }, 5);
    expect(c.tokenizer.kind).toBe('char');
    expect(c.tokenizer.encode('the random number is 281265017')).not.toContain(0);
  });
});
