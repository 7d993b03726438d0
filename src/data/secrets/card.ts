/**
 * Payment-card numbers: 13 to 19 digits, contiguous or grouped by single spaces or dashes
 * (4-4-4-4, 4-4-4-4-3, 4-4-4-1..4, Amex 4-6-5, Diners 4-6-4), with a known issuer prefix and
 * that issuer's length, and a valid Luhn check digit.
 *
 * Most Luhn-valid digit runs in mail are not cards but timestamps and ids, so a run is
 * rejected when it is glued to letters or other digits, continues a longer number ('.', '-',
 * '/', ':' or ',' and a digit on either side; the same separator and more digits on either
 * side of a grouped one), follows '#', '=', '+' or '$' (ids, URL parameters, phone numbers,
 * amounts), has a '/' on either side (paths), sits inside an e-mail address, Message-ID or
 * URL, or is one digit repeated.
 * Format: each digit group is a {digits:N} slot, separators are literal.
 */
import {
  continuesNumberLeft, continuesNumberRight, digitMatch, insideAddressOrUrl, isDigit, isWordChar, scanWith,
  type SecretDetector, type SecretMatch,
} from './detector.js';

const CARD = /\d{4}([ -])\d{4}\1\d{4}\1\d{1,4}(?:\1\d{1,3})?|\d{4}([ -])\d{6}\2\d{4,5}|\d{13,19}/g;

/** The issuers recognised, with their prefixes (as inclusive ranges of leading digits) and lengths. */
const ISSUERS: readonly { name: string; ranges: readonly (readonly [string, string])[]; lengths: readonly number[] }[] = [
  { name: 'Visa', ranges: [['4', '4']], lengths: [13, 16, 19] },
  { name: 'Mastercard', ranges: [['51', '55'], ['2221', '2720']], lengths: [16] },
  { name: 'American Express', ranges: [['34', '34'], ['37', '37']], lengths: [15] },
  { name: 'Discover', ranges: [['6011', '6011'], ['644', '649'], ['65', '65']], lengths: [16, 17, 18, 19] },
  { name: 'Diners Club', ranges: [['300', '305']], lengths: [14] },
  { name: 'Diners Club', ranges: [['36', '36'], ['38', '38']], lengths: [14, 15, 16, 17, 18, 19] },
  { name: 'JCB', ranges: [['3528', '3589']], lengths: [16, 17, 18, 19] },
];

/** The issuer whose prefix and length fit a digit string, or undefined. */
export function cardIssuer(digits: string): string | undefined {
  for (const issuer of ISSUERS) {
    if (!issuer.lengths.includes(digits.length)) continue;
    for (const [lo, hi] of issuer.ranges) {
      const head = digits.slice(0, lo.length);
      if (head >= lo && head <= hi) return issuer.name;
    }
  }
  return undefined;
}

/** The Luhn (mod 10) check: true when the last digit is the check digit of the others. */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

function acceptCard(line: string, m: RegExpExecArray): SecretMatch | undefined {
  const text = m[0];
  const digits = text.replace(/\D/g, '');
  if (digits.length < 13 || digits.length > 19) return undefined;
  if (/^(\d)\1*$/.test(digits) || cardIssuer(digits) === undefined || !luhnValid(digits)) return undefined;
  const start = m.index;
  const end = start + text.length;
  const before = line[start - 1];
  if (isWordChar(before) || (before !== undefined && '#=+$/'.includes(before)) || continuesNumberLeft(line, start)) return undefined;
  if (isWordChar(line[end]) || line[end] === '/' || continuesNumberRight(line, end)) return undefined;
  const sep = m[1] ?? m[2];
  if (sep !== undefined && ((before === sep && isDigit(line[start - 2])) || (line[end] === sep && isDigit(line[end + 1])))) return undefined;
  if (insideAddressOrUrl(line, start, end)) return undefined;
  return digitMatch(text, start);
}

/** The payment-card detector (see the module comment). */
export const cardDetector: SecretDetector = {
  kind: 'card',
  find: (line) => scanWith(line, CARD, (m) => acceptCard(line, m)),
};
