import { describe, expect, it } from 'vitest';
import { decodeEntities, htmlToText } from '../../../src/data/mail/html-text.js';
import {
  bodyText, decodeBase64, decodeCharset, decodeQuotedPrintable, entityText, multipartParts, parseContentType,
} from '../../../src/data/mail/mime.js';
import { parseMail } from '../../../src/data/mail/parse.js';
import { seededRandom } from '../../../src/util/random.js';

/** Quoted-printable by the rules of RFC 2045 6.7, written independently of the decoder. */
function encodeQuotedPrintable(bytes: Uint8Array): string {
  let out = '';
  let lineLength = 0;
  for (const b of bytes) {
    const literal = (b >= 33 && b <= 126 && b !== 61) || b === 32;
    const piece = literal ? String.fromCharCode(b) : `=${b.toString(16).toUpperCase().padStart(2, '0')}`;
    if (lineLength + piece.length > 75) {
      out += '=\r\n';
      lineLength = 0;
    }
    out += piece;
    lineLength += piece.length;
  }
  return out;
}

describe('transfer encodings', () => {
  it('quoted-printable: =XX bytes, soft line breaks, trailing blanks, and bad escapes kept', () => {
    expect(decodeQuotedPrintable('caf=E9 10=3D30 i=\r\ns it=\nhere').toString('latin1')).toBe('café 10=30 is ithere');
    expect(decodeQuotedPrintable('a   \r\nb').toString('latin1')).toBe('a\r\nb');
    expect(decodeQuotedPrintable('50=% off =Z').toString('latin1')).toBe('50=% off =Z');
  });

  it('quoted-printable round-trips random bytes encoded by an independent encoder', () => {
    const rng = seededRandom('qp');
    for (let t = 0; t < 50; t++) {
      const bytes = Uint8Array.from({ length: 1 + rng.int(300) }, () => rng.int(256));
      expect(decodeQuotedPrintable(encodeQuotedPrintable(bytes))).toEqual(Buffer.from(bytes));
    }
  });

  it('base64 ignores line breaks', () => {
    const text = 'Notes: call +49 30 1234567 before 17:00.\n'.repeat(5);
    const encoded = Buffer.from(text).toString('base64').replace(/.{20}/g, '$&\r\n');
    expect(decodeBase64(encoded).toString('utf8')).toBe(text);
  });

  it('charsets: UTF-8 strictly, else windows-1252; named charsets; unknown ones as windows-1252', () => {
    expect(decodeCharset(Buffer.from('café ☎', 'utf8'))).toBe('café ☎');
    expect(decodeCharset(Buffer.from([0x63, 0x61, 0x66, 0xe9]))).toBe('café'); // latin1 bytes, no charset
    expect(decodeCharset(Buffer.from([0x93, 0x68, 0x69, 0x94]), 'windows-1252')).toBe('\u201chi\u201d');
    expect(decodeCharset(Buffer.from([0x80, 0x85, 0x99, 0x81]))).toBe('\u20ac\u2026\u2122\u0081'); // no charset, not UTF-8
    expect(decodeCharset(Buffer.from([0xe8]), 'iso-8859-2')).toBe('\u010d'); // a charset ICU knows
    expect(decodeCharset(Buffer.from([0xe9]), 'iso-8859-1')).toBe('é');
    expect(decodeCharset(Buffer.from([0xe9]), 'x-no-such-charset')).toBe('é');
    expect(decodeCharset(Buffer.from([0xc3, 0xa9]), 'UTF-8')).toBe('é');
  });
});

describe('content types and multipart bodies', () => {
  it('parses type and parameters, quoted or not; a malformed or missing type is text/plain', () => {
    expect(parseContentType('Multipart/Alternative; boundary="a;b \\"c\\""; charset=UTF-8')).toEqual({
      type: 'multipart/alternative',
      params: { boundary: 'a;b "c"', charset: 'UTF-8' },
    });
    expect(parseContentType(undefined).type).toBe('text/plain');
    expect(parseContentType('text').type).toBe('text/plain');
  });

  it('splits parts between delimiters, dropping preamble and epilogue; undefined without the boundary', () => {
    const body = 'preamble\r\n--b\r\nA: 1\r\n\r\none\r\n--b \r\n\r\ntwo\r\n\r\n--b--\r\nepilogue';
    expect(multipartParts(body, 'b')).toEqual(['A: 1\r\n\r\none', '\r\ntwo\r\n']);
    expect(multipartParts('no delimiters here', 'b')).toBeUndefined();
    // A missing closing delimiter: the last part runs to the end.
    expect(multipartParts('--b\nx\n--b\ny\n', 'b')).toEqual(['x', 'y\n']);
  });

  it('alternative: the text/plain part wins over HTML; without one, the first part with text', () => {
    const alt = (parts: string[]): string =>
      `Content-Type: multipart/alternative; boundary=zz\n\n${parts.map((p) => `--zz\n${p}\n`).join('')}--zz--\n`;
    expect(entityText(alt(['Content-Type: text/html\n\n<p>html</p>', 'Content-Type: text/plain\n\nplain']))).toBe('plain');
    expect(entityText(alt(['Content-Type: text/html\n\n<p>only <b>html</b></p>']))).toBe('\nonly html\n');
    expect(entityText(alt(['Content-Type: image/gif\n\nR0lGOD', 'Content-Type: text/html\n\nx']))).toBe('x');
  });

  it('mixed: every text part in order; other types dropped; a multipart without its boundary is text', () => {
    const mixed = 'Content-Type: multipart/mixed; boundary=q\n\n--q\n\none\n--q\nContent-Type: application/pdf\n\n%PDF\n--q\n' +
      'Content-Type: text/x-vcard\n\nTEL:+1 617 555 0134\n--q--\n';
    expect(entityText(mixed)).toBe('one\nTEL:+1 617 555 0134');
    expect(bodyText('plain after all', parseContentType('multipart/mixed; boundary=nope'), undefined)).toBe('plain after all');
    expect(bodyText('no boundary at all', parseContentType('multipart/mixed'), undefined)).toBe('no boundary at all');
  });

  it('a forwarded message/rfc822 part contributes its body, not its headers', () => {
    const m = 'Content-Type: multipart/mixed; boundary=f\n\n--f\n\nsee below\n--f\nContent-Type: message/rfc822\n\n' +
      'From: other@example.com\nSubject: inner\n\ninner body\n--f--\n';
    expect(entityText(m)).toBe('see below\ninner body');
  });
});

describe('HTML to text', () => {
  it('drops scripts, styles and comments, breaks lines at blocks, decodes references', () => {
    const html = '<html><head><style>p{}</style><script>x="1"</script></head><body><p>Call <b>us</b>&nbsp;now &amp; then</p>' +
      '<!-- hidden 555 --><table><tr><td>A</td><td>&#66;&#x43;</td></tr></table>a &lt; b &unknown;</body></html>';
    const lines = htmlToText(html).split('\n').map((l) => l.trim()).filter((l) => l !== '');
    expect(lines).toEqual(['Call us now & then', 'A BC', 'a < b &unknown;']);
    expect(decodeEntities('&#0; &#xD800; &#128512;')).toBe('&#0; &#xD800; \u{1f600}');
  });
});

describe('parseMail', () => {
  it('reads the sender, headers and decoded body of a quoted-printable latin1 mail', () => {
    const raw = Buffer.concat([
      Buffer.from('From: "Ren\xe9" <Rene@Example.FR>\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n', 'latin1'),
      Buffer.from('Caf=E9 =\nau lait\n', 'latin1'),
    ]);
    const m = parseMail(raw);
    expect(m.from).toBe('rene@example.fr');
    expect(m.body).toBe('Café au lait\n');
    expect(m.headerLines[0]).toBe('From: "René" <Rene@Example.FR>');
  });

  it('a mail without From: has no sender; text without headers is all body', () => {
    expect(parseMail('To: x@example.com\n\nhello').from).toBeUndefined();
    expect(parseMail('hello\nworld').body).toBe('hello\nworld');
  });
});
