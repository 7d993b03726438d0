import { describe, expect, it } from 'vitest';
import { cardDetector, cardIssuer, luhnValid } from '../../../src/data/secrets/card.js';
import { seededRandom } from '../../../src/util/random.js';

const texts = (line: string): string[] => cardDetector.find(line).map((m) => m.text);

/** The prefix with the one check digit that makes it Luhn-valid (found by trying all ten). */
const withCheckDigit = (prefix: string): string => prefix + [...'0123456789'].find((d) => luhnValid(prefix + d))!;

// The issuers' published test numbers (all Luhn-valid).
const TEST_NUMBERS: readonly [string, string][] = [
  ['4111111111111111', 'Visa'],
  ['4222222222222', 'Visa'],
  ['5555555555554444', 'Mastercard'],
  ['2223003122003222', 'Mastercard'],
  ['378282246310005', 'American Express'],
  ['371449635398431', 'American Express'],
  ['6011111111111117', 'Discover'],
  ['6445644564456445', 'Discover'],
  ['30569309025904', 'Diners Club'],
  ['38520000023237', 'Diners Club'],
  ['3530111333300000', 'JCB'],
];

describe('Luhn and issuers', () => {
  it("the issuers' test numbers are Luhn-valid and recognised", () => {
    for (const [digits, issuer] of TEST_NUMBERS) {
      expect(luhnValid(digits), digits).toBe(true);
      expect(cardIssuer(digits), digits).toBe(issuer);
    }
  });

  it('exactly one check digit of ten completes any prefix, and every single-digit change breaks it', () => {
    const rng = seededRandom('luhn');
    for (let t = 0; t < 200; t++) {
      const prefix = Array.from({ length: 12 + rng.int(7) }, () => rng.int(10)).join('');
      const valid = [...'0123456789'].filter((d) => luhnValid(prefix + d));
      expect(valid).toHaveLength(1);
      const number = prefix + valid[0]!;
      const i = rng.int(number.length);
      const other = (Number(number[i]) + 1 + rng.int(9)) % 10;
      expect(luhnValid(number.slice(0, i) + other + number.slice(i + 1))).toBe(false);
    }
  });

  it('issuer lengths: a right prefix with the wrong length is no card', () => {
    expect(cardIssuer('411111111111111')).toBeUndefined(); // Visa with 15 digits
    expect(cardIssuer('37828224631000')).toBeUndefined(); // Amex with 14
    expect(cardIssuer('5655555555554444')).toBeUndefined(); // 56 is not Mastercard
    expect(cardIssuer('2721000000000000')).toBeUndefined(); // past 2720
    expect(cardIssuer('1234567890123')).toBeUndefined();
  });
});

describe('the card detector', () => {
  it.each([
    ['card 4111 1111 1111 1111, exp 12/05', '4111 1111 1111 1111', '{digits:4} {digits:4} {digits:4} {digits:4}'],
    ['card 4111-1111-1111-1111.', '4111-1111-1111-1111', '{digits:4}-{digits:4}-{digits:4}-{digits:4}'],
    ['number: 4111111111111111', '4111111111111111', '{digits:16}'],
    ['amex 3782 822463 10005 ok', '3782 822463 10005', '{digits:4} {digits:6} {digits:5}'],
    ['diners 3056 930902 5904', '3056 930902 5904', '{digits:4} {digits:6} {digits:4}'],
    ['visa (13 digits): 4222 2222 2222 2', '4222 2222 2222 2', '{digits:4} {digits:4} {digits:4} {digits:1}'],
  ])('%s', (line, text, format) => {
    const found = cardDetector.find(line);
    expect(found.map((m) => m.text)).toEqual([text]);
    expect(found[0]!.format).toBe(format);
    expect(found[0]!.spaceBits).toBeCloseTo(text.replace(/\D/g, '').length * Math.log2(10), 12);
  });

  it.each([
    ['a Message-ID', 'Message-ID: <4111111111111111@mail.example.com>'],
    ['an id glued to letters', 'id=g4111111111111111x and 4111111111111111abc'],
    ['a URL parameter', 'http://example.com/story?cid=4111111111111111&t=1'],
    ['a URL path', 'see example.com/4111111111111111/view'],
    ['hex', 'boundary 01E04111111111111111B900'],
    ['a longer digit run', 'ts 14111111111111111 and 41111111111111110000'],
    ['a dotted id', 'cwg-dated-1030377287.4111111111111111@x and 4111111111111111.06fa6d'],
    ['a longer grouping', '4111 1111 1111 1111 2222 and 0000 4111 1111 1111 1111'],
    ['after # or $ or +', 'order #4111111111111111, $4111111111111111, +4111111111111111'],
    ['Luhn-invalid', '4111 1111 1111 1112'],
    ['one digit repeated', '0000 0000 0000 0000 and 4444444444444'],
    ['mixed separators', '4111 1111-1111 1111'],
    ['Luhn-valid timestamps in ms and s+us (no issuer starts with 1)', `at ${withCheckDigit('103037728712')} and ${withCheckDigit('103013559401169')}`],
    ['Luhn-valid date-time stamps (no issuer at these lengths)', `rev ${withCheckDigit('2002082212345')} and ${withCheckDigit('20020822123456')}`],
  ])('not a card: %s', (_what, line) => {
    expect(texts(line)).toEqual([]);
  });
});
