import { describe, expect, it } from 'vitest';
import { ipv4Detector } from '../../../src/data/secrets/ipv4.js';
import { ssnDetector, validSsn } from '../../../src/data/secrets/ssn.js';

const ssn = (line: string): string[] => ssnDetector.find(line).map((m) => m.text);
const ip = (line: string): string[] => ipv4Detector.find(line).map((m) => m.text);

describe('social-security numbers', () => {
  it('finds AAA-GG-SSSS and AAA GG SSSS with their format', () => {
    const found = ssnDetector.find('SSN 536-22-8437; spouse 536 22 8438.');
    expect(found.map((m) => [m.text, m.index, m.format])).toEqual([
      ['536-22-8437', 4, '{digits:3}-{digits:2}-{digits:4}'],
      ['536 22 8438', 24, '{digits:3} {digits:2} {digits:4}'],
    ]);
    expect(found[0]!.spaceBits).toBeCloseTo(9 * Math.log2(10), 12);
  });

  it('issuance rules, counted by brute force over every area and group: (1000 - 2 - 100) x 99 valid', () => {
    let valid = 0;
    for (let a = 0; a < 1000; a++) {
      for (let g = 0; g < 100; g++) if (validSsn(String(a).padStart(3, '0'), String(g).padStart(2, '0'), '1234')) valid++;
    }
    expect(valid).toBe((1000 - 2 - 100) * 99); // not 000, 666, 900-999; group not 00
    expect(validSsn('123', '45', '0000')).toBe(false);
  });

  it.each([
    ['invalid areas and groups', '000-12-3456 666-12-3456 900-12-3456 999-99-9999 123-00-4567 123-45-0000'],
    ['the famous never-valid numbers', 'the wallet number 078-05-1120 and the ad 219-09-9999'],
    ['phone numbers and dates', '617-555-1212 and 2002-08-22 and 02139-4307'],
    ['longer numbers', '123-45-67890 and 1123-45-6789 and 536-22-8437-1'],
    ['glued to words or in ids', 'id536-22-8437 and 536-22-8437x and <536-22-8437@example.com>'],
    ['a row of a space-separated table', '12 536 22 8437 55'],
  ])('none in: %s', (_what, line) => {
    expect(ssn(line)).toEqual([]);
  });
});

describe('IPv4 addresses', () => {
  it('finds dotted quads with their own digit counts as the format', () => {
    const line = 'Received: from relay [66.187.233.211] via 10.0.0.1:8080, see http://216.239.39.100/search; host 0.0.0.0.';
    const found = ipv4Detector.find(line);
    expect(found.map((m) => m.text)).toEqual(['66.187.233.211', '10.0.0.1', '216.239.39.100', '0.0.0.0']);
    expect(found[0]!.format).toBe('{digits:2}.{digits:3}.{digits:3}.{digits:3}');
    expect(found[1]!.format).toBe('{digits:2}.{digits:1}.{digits:1}.{digits:1}');
    expect(found[0]!.spaceBits).toBeCloseTo(11 * Math.log2(10), 12);
  });

  it('octets: brute force over 0..999 with and without leading zeros against the numeric rule', () => {
    for (let v = 0; v < 1000; v++) {
      for (const written of new Set([String(v), String(v).padStart(2, '0'), String(v).padStart(3, '0')])) {
        const isOctet = v <= 255 && written === String(v);
        expect(ip(`at ${written}.1.2.3 ok`), written).toEqual(isOctet ? [`${written}.1.2.3`] : []);
      }
    }
  });

  it.each([
    ['a longer dotted number', 'version 1.2.3.4.5 and 1.2.3.4.5.6'],
    ['glued to letters or digits', 'v1.2.3.4 and 1.2.3.4a and a1.2.3.4'],
    ['a reverse-DNS name', '4.3.2.1.in-addr.arpa'],
    ['version words', 'retrieving revision 1.91.2.2, version 2.4.18.3, Rev. 1.1.2.1, v 1.2.0.1'],
    ['three parts', 'at 192.168.1'],
  ])('none in: %s', (_what, line) => {
    expect(ip(line)).toEqual([]);
  });
});
