import { describe, expect, it } from 'vitest';
import { parseFormat } from '../../../src/canary/format.js';
import { customFormatDetector } from '../../../src/data/secrets/custom.js';

const find = (template: string, line: string): [string, number][] =>
  customFormatDetector(parseFormat(template)).find(line).map((m) => [m.text, m.index]);

describe('custom formats (a parsed canary format)', () => {
  it('finds the whole match, literal text included, with the template as its format', () => {
    const d = customFormatDetector(parseFormat('my pin is {digits:4}'));
    const found = d.find('ok: my pin is 1234, and my pin is 9876.');
    expect(found.map((m) => [m.text, m.index, m.format])).toEqual([
      ['my pin is 1234', 4, 'my pin is {digits:4}'],
      ['my pin is 9876', 24, 'my pin is {digits:4}'],
    ]);
    expect(found[0]!.spaceBits).toBeCloseTo(4 * Math.log2(10), 12);
    expect(d.kind).toBe('custom');
  });

  it('a slot run that continues past an open end is not a match; wrong symbols are not either', () => {
    expect(find('my pin is {digits:4}', 'my pin is 12345 or my pin is 12a4')).toEqual([]);
    expect(find('{digits:3}', '12 123 1234 x456y')).toEqual([['123', 3], ['456', 13]]);
    expect(find('{digits:3} EUR', '1234 EUR and 234 EUR')).toEqual([['234 EUR', 13]]);
  });

  it('literal braces, regex metacharacters, and alphabets beyond one UTF-16 unit', () => {
    expect(find('code {{{digits:2}}}', 'the code {42} and code {7}')).toEqual([['code {42}', 4]]);
    expect(find('(a+b)*{lower:2}?', 'x (a+b)*qz? y')).toEqual([['(a+b)*qz?', 2]]);
    expect(find('id-/{set:0123456789-/:5}$', 'id-/12-/3$ and id-/12345')).toEqual([['id-/12-/3$', 0]]);
    expect(find('[x]{set:^]\\:2}|', '[x]^\\|')).toEqual([['[x]^\\|', 0]]);
    const d = customFormatDetector(parseFormat('key {set:\u{1F600}\u{1F601}:2}'));
    expect(d.find('key \u{1F600}\u{1F601}!').map((m) => m.text)).toEqual(['key \u{1F600}\u{1F601}']);
    expect(d.find('key \u{1F600}\u{1F601}')[0]!.spaceBits).toBeCloseTo(2, 12);
    expect(customFormatDetector(parseFormat('{set:\u{1F600}\u{1F601}:1}')).find('\u{1F600}\u{1F601}')).toEqual([]);
  });
});
