import { describe, expect, it } from 'vitest';
import { countryCodeLength, phoneDetector, validNanp } from '../../../src/data/secrets/phone.js';

const texts = (line: string): string[] => phoneDetector.find(line).map((m) => m.text);

describe('phone numbers: North American shapes', () => {
  it.each([
    ['Phone: (617) 555-1212.', '(617) 555-1212', '({digits:3}) {digits:3}-{digits:4}'],
    ['call (617)555-1212 now', '(617)555-1212', '({digits:3}){digits:3}-{digits:4}'],
    ['617-555-1212', '617-555-1212', '{digits:3}-{digits:3}-{digits:4}'],
    ['p: 617.555.1212 f: x', '617.555.1212', '{digits:3}.{digits:3}.{digits:4}'],
    ['tel 617 555 1212', '617 555 1212', '{digits:3} {digits:3} {digits:4}'],
    ['ph 617 555-1212', '617 555-1212', '{digits:3} {digits:3}-{digits:4}'],
    ['old style 617/555-1212', '617/555-1212', '{digits:3}/{digits:3}-{digits:4}'],
    ['+1 617 555 1212', '+1 617 555 1212', '+1 {digits:3} {digits:3} {digits:4}'],
    ['<tel:+1-650-327-2600>', '+1-650-327-2600', '+1-{digits:3}-{digits:3}-{digits:4}'],
    ['cell: +1.714.928.5476', '+1.714.928.5476', '+1.{digits:3}.{digits:3}.{digits:4}'],
    ['call 1-800-555-1212 today', '1-800-555-1212', '1-{digits:3}-{digits:3}-{digits:4}'],
    ['+1 (617) 555-1212', '+1 (617) 555-1212', '+1 ({digits:3}) {digits:3}-{digits:4}'],
  ])('%s', (line, text, format) => {
    const found = phoneDetector.find(line);
    expect(found.map((m) => m.text)).toEqual([text]);
    expect(found[0]!.index).toBe(line.indexOf(text));
    expect(found[0]!.format).toBe(format);
    // |R| = 10^(number of digit slots): the country prefix is literal.
    const slots = [...format.matchAll(/\{digits:(\d+)\}/g)].reduce((n, m) => n + Number(m[1]), 0);
    expect(found[0]!.spaceBits).toBeCloseTo(slots * Math.log2(10), 12);
  });

  it('a label or extension glued after the number is allowed and not part of it', () => {
    expect(texts('703-724-0118W 703-995-0407Fax Dec')).toEqual(['703-724-0118', '703-995-0407']);
    expect(texts('617-555-1212x4138')).toEqual(['617-555-1212']);
    expect(texts('617-555-1212 x 4138, 617-555-1213')).toEqual(['617-555-1212', '617-555-1213']);
    expect(texts('617-555-1212abc')).toEqual([]);
    expect(texts('617-555-1212Wednesday')).toEqual([]);
  });

  it('NANP rules: area code and exchange do not start with 0 or 1; no N11 area code', () => {
    for (const bad of ['017-555-1212', '117-555-1212', '617-055-1212', '617-155-1212', '911-555-1212', '411-555-1212']) {
      expect(texts(`call ${bad} now`), bad).toEqual([]);
    }
    // Brute force over all area codes: 800 start with 2-9, and 8 of those are N11.
    let valid = 0;
    for (let a = 0; a < 1000; a++) if (validNanp(String(a).padStart(3, '0'), '555')) valid++;
    expect(valid).toBe(800 - 8);
  });

  it.each([
    ['a date', 'on 2002-08-22 at 12:36:23'],
    ['a US date', 'on 08/22/2002 12:36'],
    ['a version', 'version 1.2.3.4 and 617.555.1212.3'],
    ['an IP address', 'from 192.168.100.123 and 10.123.456.7890'],
    ['a long digit run', 'id 12345678901234 and 6175551212'],
    ['digits glued to a word', 'abc617-555-1212 and id617.555.1212'],
    ['a longer dashed number', '1-617-555-1212-3 and 2002-617-555-1212'],
    ['a price', 'costs $617.555.1212 or #617-555-1212'],
    ['a Message-ID', 'Message-ID: <617-555-1212@example.com>'],
    ['an e-mail address', 'write to 617.555.1212@pager.example.com'],
    ['a URL', 'see http://example.com/617-555-1212/ and www.x.com/617-555-1212'],
    ['mixed dot separators', '617.555-1212 and 617-555.1212'],
    ['space-separated numbers in a table', 'Modeline "800x600" 36 800 824 896 1024 600 601'],
    ['a time zone and signed numbers', 'Date: Mon, 2 Sep 2002 10:00:00 +0100, up +20 points, +1000 km'],
    ['a signed date', 'changed +2002-08-22 by root'],
    ['too few digits after + (under 6 national digits)', 'call +44 20 794 or +353 1 234'],
    ['too many digits after +', '+44 20 7946 0958 1234 5678'],
    ['an unassigned country code', 'call +28 123 456 789 or +0 123 456 789'],
  ])('not a phone: %s', (_what, line) => {
    expect(texts(line)).toEqual([]);
  });
});

describe('phone numbers: international shapes', () => {
  it.each([
    ['Tel: +44 20 7946 0958', '+44 20 7946 0958', '+44 {digits:2} {digits:4} {digits:4}'],
    ['+49 30 1234567', '+49 30 1234567', '+49 {digits:2} {digits:7}'],
    ['Ph.:+353-1-7161987, Web', '+353-1-7161987', '+353-{digits:1}-{digits:7}'],
    ['M: +44 (0)77 5907 2173   T:', '+44 (0)77 5907 2173', '+44 (0){digits:2} {digits:4} {digits:4}'],
    ['Phone: + 353 (01) 4042840', '+ 353 (01) 4042840', '+ 353 ({digits:2}) {digits:7}'],
    ['Phone : +34 936 00 23 23', '+34 936 00 23 23', '+34 {digits:3} {digits:2} {digits:2} {digits:2}'],
    ['Tel. +7 095 912-5317 (ext 4406)', '+7 095 912-5317', '+7 {digits:3} {digits:3}-{digits:4}'],
    ['FAX/Voice +4930123456', '+4930123456', '+49{digits:8}'],
  ])('%s', (line, text, format) => {
    const found = phoneDetector.find(line);
    expect(found.map((m) => m.text)).toEqual([text]);
    expect(found[0]!.format).toBe(format);
    const national = text.replace(/\D/g, '').length - (format.match(/^\+ ?(\d+)/)![1]!.length + (format.includes('(0)') ? 1 : 0));
    expect(found[0]!.spaceBits).toBeCloseTo(national * Math.log2(10), 12);
  });

  it('country codes: 1 and 7 are one digit; the E.164 two-digit codes; three digits in the other zones; none in 28x, 83x, 89x or 0', () => {
    expect(countryCodeLength('17')).toBe(1);
    expect(countryCodeLength('795')).toBe(1);
    for (const two of ['20', '27', '30', '44', '49', '61', '81', '86', '98']) expect(countryCodeLength(`${two}1`), two).toBe(2);
    for (const three of ['212', '353', '358', '420', '506', '852', '971', '998']) expect(countryCodeLength(three), three).toBe(3);
    for (const none of ['280', '830', '890', '012']) expect(countryCodeLength(none), none).toBe(0);
    expect(countryCodeLength('35')).toBe(0); // a three-digit zone with two digits only
  });

  it('several numbers in one line are reported left to right, not overlapping', () => {
    const line = 'Tel: w +353-61-213147 f +353-61-202569 h +353-61-390476; US (617) 555-1212';
    const found = phoneDetector.find(line);
    expect(found.map((m) => m.text)).toEqual(['+353-61-213147', '+353-61-202569', '+353-61-390476', '(617) 555-1212']);
    for (const m of found) expect(line.slice(m.index, m.index + m.text.length)).toBe(m.text);
  });
});
