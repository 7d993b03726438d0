/**
 * IPv4 addresses in dotted-quad form: four octets 0-255 written without leading zeros
 * ('0' itself is fine; '010' is not an octet). Not reported when glued to a letter or digit,
 * or when part of a longer dotted string ('1.2.3.4.5', 'v1.2.3.4', '4.3.2.1.in-addr.arpa').
 * Nor after a version word ('revision 1.91.2.2', 'version 1.2.3.4', 'v. 2.0.1.5'): CVS and
 * software versions have the same shape. Addresses inside URLs are reported (a host's address
 * is an address).
 * Format: '{digits:N}.{digits:N}.{digits:N}.{digits:N}' with the address's own digit counts.
 */
import { digitMatch, isWordChar, scanWith, type SecretDetector, type SecretMatch } from './detector.js';

const IPV4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})/g;

const OCTET = /^(?:0|[1-9]\d?|1\d\d|2[0-4]\d|25[0-5])$/;

const VERSION_BEFORE = /(?:^|[^\p{L}])(?:revision|version|release|rev|ver|build|v)\.?:? ?$/iu;

function acceptIpv4(line: string, m: RegExpExecArray): SecretMatch | undefined {
  const text = m[0];
  if (!m.slice(1, 5).every((o) => OCTET.test(o!))) return undefined;
  const start = m.index;
  const end = start + text.length;
  if (isWordChar(line[start - 1]) || isWordChar(line[end])) return undefined;
  if (line[start - 1] === '.' && isWordChar(line[start - 2])) return undefined;
  if (line[end] === '.' && isWordChar(line[end + 1])) return undefined;
  if (VERSION_BEFORE.test(line.slice(Math.max(0, start - 12), start))) return undefined;
  return digitMatch(text, start);
}

/** The IPv4 detector (see the module comment). */
export const ipv4Detector: SecretDetector = {
  kind: 'ipv4',
  find: (line) => scanWith(line, IPV4, (m) => acceptIpv4(line, m)),
};
