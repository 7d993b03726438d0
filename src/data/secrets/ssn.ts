/**
 * US social-security numbers written AAA-GG-SSSS or AAA GG SSSS, with the issuance rules:
 * area not 000, 666 or 900-999; group not 00; serial not 0000; and not the famous numbers
 * that were never valid (078-05-1120, printed on a wallet insert in 1938, and 219-09-9999,
 * from a 1940 advertisement). Rejected like other numbers when glued to words or digits or
 * part of a longer number, address or URL. Format: '{digits:3}-{digits:2}-{digits:4}'.
 */
import {
  continuesNumberLeft, continuesNumberRight, digitMatch, insideAddressOrUrl, isDigit, isWordChar, scanWith,
  type SecretDetector, type SecretMatch,
} from './detector.js';

const SSN = /(\d{3})([ -])(\d{2})\2(\d{4})/g;

const NEVER_VALID = new Set(['078051120', '219099999']);

/** The issuance rules on the three parts of an SSN (digits only). */
export function validSsn(area: string, group: string, serial: string): boolean {
  if (area === '000' || area === '666' || area[0] === '9') return false;
  if (group === '00' || serial === '0000') return false;
  return !NEVER_VALID.has(area + group + serial);
}

function acceptSsn(line: string, m: RegExpExecArray): SecretMatch | undefined {
  const [text, area, sep, group, serial] = m;
  if (!validSsn(area!, group!, serial!)) return undefined;
  const start = m.index;
  const end = start + text.length;
  if (isWordChar(line[start - 1]) || isWordChar(line[end])) return undefined;
  if (continuesNumberLeft(line, start) || continuesNumberRight(line, end)) return undefined;
  if (sep === ' ' && ((line[start - 1] === ' ' && isDigit(line[start - 2])) || (line[end] === ' ' && isDigit(line[end + 1])))) return undefined;
  if (insideAddressOrUrl(line, start, end)) return undefined;
  return digitMatch(text, start);
}

/** The social-security-number detector (see the module comment). */
export const ssnDetector: SecretDetector = {
  kind: 'ssn',
  find: (line) => scanWith(line, SSN, (m) => acceptSsn(line, m)),
};
