/**
 * Phone numbers: North American (NANP) numbers written with their separators, and
 * international numbers written with a leading '+' and the country code.
 *
 * NANP: `(617) 555-1212`, `(617)555-1212`, `617-555-1212`, `617.555.1212`, `617 555 1212`,
 * `617/555-1212`, `617 555-1212`, optionally after `+1` or `1-` (`+1 617 555 1212`,
 * `1-800-555-1212`). Area code and exchange start with 2-9 and the area code is not N11.
 * Bare ten-digit runs and seven-digit local numbers are not reported (too many ids look so).
 * International: `+44 20 7946 0958`, `+49 30 1234567`, `+353-1-7161987`, `+44 (0)20 7946 0958`:
 * '+', an assigned country code (ITU-T E.164 zones), then 6 or more digits in groups, 7 to 15
 * digits in all (E.164's maximum). `+1` numbers must have the NANP shape.
 * Rejected: digit runs glued to letters or other digits, parts of longer numbers (dates,
 * times, versions, IPs, prices after '$'), numbers inside e-mail addresses, Message-IDs and
 * URLs. A label glued after the number ('x4138', 'W', 'Fax') is allowed and not reported.
 *
 * Format: the country prefix ('+1 ', '1-', '+44 ', '+44 (0)') is literal, as are separators;
 * every other run of digits is a {digits:N} slot.
 */
import {
  continuesNumberLeft, continuesNumberRight, digitMatch, insideAddressOrUrl, isDigit, isWordChar, scanWith,
  type SecretDetector, type SecretMatch,
} from './detector.js';

const NANP = /(\+1[ .-]?|1[ .-])?(?:\((\d{3})\) ?|(\d{3})([ ./-]))(\d{3})([ .-])(\d{4})/g;

const INTERNATIONAL = /\+ ?\d+(?:(?:[ .-]|[ .-]?\(\d{1,4}\)[ .-]?)\d+)*/g;

// Two-digit country codes; other codes in the zones of THREE_DIGIT_ZONES have three digits.
const TWO_DIGIT = new Set([
  '20', '27', '30', '31', '32', '33', '34', '36', '39', '40', '41', '43', '44', '45', '46', '47', '48', '49',
  '51', '52', '53', '54', '55', '56', '57', '58', '60', '61', '62', '63', '64', '65', '66', '81', '82', '84', '86',
  '90', '91', '92', '93', '94', '95', '98',
]);
const THREE_DIGIT_ZONES = new Set([
  '21', '22', '23', '24', '25', '26', '29', '35', '37', '38', '42', '50', '59', '67', '68', '69', '80', '85', '87', '88', '96', '97', '99',
]);

/** Length of the country code the digits start with (1, 2 or 3), or 0 when none is assigned. */
export function countryCodeLength(digits: string): number {
  if (digits.startsWith('7') || digits.startsWith('1')) return 1;
  const two = digits.slice(0, 2);
  if (TWO_DIGIT.has(two)) return 2;
  if (THREE_DIGIT_ZONES.has(two) && digits.length >= 3) return 3;
  return 0;
}

/** NANP rules: area code and exchange start with 2-9; the area code is not N11 (211 .. 911 are service codes). */
export function validNanp(area: string, exchange: string): boolean {
  return area[0]! >= '2' && exchange[0]! >= '2' && area.slice(1) !== '11';
}

// A label or extension glued after a number: 'x4138', 'ext.12', 'W', 'Fax', 'cell'.
const LABEL_AFTER = /^(?:x|ext\.?|fax|tel|cell|work|home|mobile|office|direct|voice|ph|phone|[whcmof])(?![a-z])/i;

/** The right edge of a phone number: not glued to a word (a label is fine), not a longer number. */
function rightEdgeOk(line: string, end: number, spaced: boolean): boolean {
  if (continuesNumberRight(line, end)) return false;
  if (spaced && line[end] === ' ' && isDigit(line[end + 1])) return false;
  if (line[end] === '@') return false;
  return !isWordChar(line[end]) || LABEL_AFTER.test(line.slice(end));
}

function acceptNanp(line: string, m: RegExpExecArray): SecretMatch | undefined {
  const [text, prefix, parenArea, area = parenArea!, sep1, exchange, sep2] = m;
  if (!validNanp(area, exchange!)) return undefined;
  // Separators: the same one twice, or 'AAA EEE-NNNN' / 'AAA/EEE-NNNN'.
  if (parenArea === undefined && !(sep1 === sep2 || (sep2 === '-' && (sep1 === ' ' || sep1 === '/')))) return undefined;
  const start = m.index;
  const end = start + text.length;
  const before = line[start - 1];
  // A parenthesised area code is its own boundary ('Phone(617) ...'); a bare one must not be glued.
  if (parenArea === undefined || prefix !== undefined) {
    if (isWordChar(before) || (before !== undefined && '$#+'.includes(before))) return undefined;
  }
  if (continuesNumberLeft(line, start)) return undefined;
  const spaced = sep2 === ' ';
  if (spaced && before === ' ' && isDigit(line[start - 2])) return undefined;
  if (!rightEdgeOk(line, end, spaced)) return undefined;
  if (insideAddressOrUrl(line, start, end)) return undefined;
  return digitMatch(text, start, prefix?.length ?? 0);
}

function acceptInternational(line: string, m: RegExpExecArray): SecretMatch | undefined {
  const text = m[0];
  const start = m.index;
  const end = start + text.length;
  const digits = text.replace(/\D/g, '');
  const firstRun = /\d+/.exec(text)!;
  const ccLength = countryCodeLength(firstRun[0]);
  // No assigned code, or '+1' (NANP numbers are matched with their own shape).
  if (ccLength === 0 || firstRun[0][0] === '1' || firstRun[0].length < ccLength) return undefined;
  if (digits.length < ccLength + 6 || digits.length > 15) return undefined;
  if (/^\+ ?(?:19|20)\d\d[-./]\d\d[-./]\d\d/.test(text)) return undefined; // a date with a sign
  const before = line[start - 1];
  if (isWordChar(before) || continuesNumberLeft(line, start)) return undefined;
  if (!rightEdgeOk(line, end, true)) return undefined;
  if (insideAddressOrUrl(line, start, end)) return undefined;
  // Literal: '+', the country code and a trunk '(0)' right after it.
  const trunk = /^[ .-]?\(0\)/.exec(text.slice(firstRun.index + ccLength));
  return digitMatch(text, start, firstRun.index + ccLength + (trunk?.[0].length ?? 0));
}

/** The phone-number detector (see the module comment for what it accepts). */
export const phoneDetector: SecretDetector = {
  kind: 'phone',
  find(line: string): SecretMatch[] {
    const found = [
      ...scanWith(line, NANP, (m) => acceptNanp(line, m)),
      ...scanWith(line, INTERNATIONAL, (m) => acceptInternational(line, m)),
    ].sort((a, b) => a.index - b.index || b.text.length - a.text.length);
    const out: SecretMatch[] = [];
    for (const f of found) if (out.length === 0 || f.index >= out[out.length - 1]!.index + out[out.length - 1]!.text.length) out.push(f);
    return out;
  },
};
