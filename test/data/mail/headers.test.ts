import { describe, expect, it } from 'vitest';
import { headerValue, parseFromAddress, splitHeaders } from '../../../src/data/mail/headers.js';

describe('splitHeaders', () => {
  it('unfolds continuation lines, keeps the raw lines, and starts the body after the blank line', () => {
    const text = 'From: Alice\r\n <alice@example.com>\r\nSubject: a long\r\n\tsubject line\r\nX-Empty:\r\n\r\nBody line 1\r\n\r\nBody line 3\r\n';
    const s = splitHeaders(text);
    expect(s.headers).toEqual([
      { name: 'From', value: 'Alice <alice@example.com>' },
      { name: 'Subject', value: 'a long subject line' },
      { name: 'X-Empty', value: '' },
    ]);
    expect(s.headerLines).toEqual(['From: Alice', ' <alice@example.com>', 'Subject: a long', '\tsubject line', 'X-Empty:']);
    expect(s.body).toBe('Body line 1\r\n\r\nBody line 3\r\n');
  });

  it("an mbox 'From ' line at the top belongs to the block but is not a header", () => {
    const s = splitHeaders('From alice@example.com  Mon Sep  2 10:00:00 2002\nFrom: alice@example.com\n\nhi\n');
    expect(s.headers).toEqual([{ name: 'From', value: 'alice@example.com' }]);
    expect(s.headerLines).toHaveLength(2);
    expect(s.body).toBe('hi\n');
  });

  it('text that does not start with a header is all body; a non-header line ends the block', () => {
    expect(splitHeaders('Dear Bob: hello\nthere\n')).toEqual({ headers: [], headerLines: [], body: 'Dear Bob: hello\nthere\n' });
    expect(splitHeaders('just text\n\nmore')).toEqual({ headers: [], headerLines: [], body: 'just text\n\nmore' });
    const s = splitHeaders('Subject: x\nnot a header line\nrest\n');
    expect(s.headers).toEqual([{ name: 'Subject', value: 'x' }]);
    expect(s.body).toBe('not a header line\nrest\n');
    expect(splitHeaders('')).toEqual({ headers: [], headerLines: [], body: '' });
  });

  it('headerValue is case-insensitive and returns the first of repeated headers', () => {
    const { headers } = splitHeaders('Received: a\nreceived: b\nCONTENT-TYPE: text/plain\n\n');
    expect(headerValue(headers, 'received')).toBe('a');
    expect(headerValue(headers, 'Content-Type')).toBe('text/plain');
    expect(headerValue(headers, 'from')).toBeUndefined();
  });
});

describe('parseFromAddress', () => {
  it.each([
    ['Robert Elz <kre@munnari.OZ.AU>', 'kre@munnari.oz.au'],
    ['kre@munnari.OZ.AU (Robert Elz)', 'kre@munnari.oz.au'],
    ['  bob@example.org  ', 'bob@example.org'],
    ['"Carol, C." <carol@example.net>', 'carol@example.net'],
    ['"Mallory <evil@x.com>" <real@example.com>', 'real@example.com'],
    ['<mailto:Dan@Example.com>', 'dan@example.com'],
    ['=?iso-8859-1?Q?Ren=E9?= <rene@example.fr>', 'rene@example.fr'],
    ['diveintomark <rssfeeds@spamassassin.taint.org>', 'rssfeeds@spamassassin.taint.org'],
  ])('%s -> %s', (value, address) => {
    expect(parseFromAddress(value)).toBe(address);
  });

  it('a value without an address has no user', () => {
    expect(parseFromAddress('Undisclosed sender')).toBeUndefined();
    expect(parseFromAddress('')).toBeUndefined();
    expect(parseFromAddress('<>')).toBeUndefined();
  });
});
