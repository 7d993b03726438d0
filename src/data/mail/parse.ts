import { headerValue, parseFromAddress, splitHeaders, type MailHeader } from './headers.js';
import { bodyText, decodeCharset, parseContentType } from './mime.js';

/** One mail, parsed: what the corpus loader and the secret scanner need of it. */
export interface ParsedMail {
  /** Every header (unfolded), in order; values as bytes read as latin1 (addresses are ASCII). */
  readonly headers: readonly MailHeader[];
  /** The header block's lines as written (decoded as UTF-8, else windows-1252). */
  readonly headerLines: readonly string[];
  /** The sender: the address of the first `From:` header, lowercased; undefined without one. */
  readonly from?: string;
  /** The readable body text (see mime.ts for which parts are kept), lines separated by '\n'. */
  readonly body: string;
}

/**
 * Parse a raw RFC 822 mail (headers, blank line, body; an mbox 'From ' first line allowed).
 * Bytes are the file as read; a string is taken as already-decoded text (encoded as UTF-8
 * first, so both go through the same byte-level decoding). Never throws on odd input: text
 * without headers is all body.
 */
export function parseMail(raw: Uint8Array | string): ParsedMail {
  const binary = (typeof raw === 'string' ? Buffer.from(raw, 'utf8') : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength)).toString('latin1');
  const { headers, headerLines, body } = splitHeaders(binary);
  const fromValue = headerValue(headers, 'from');
  const from = fromValue === undefined ? undefined : parseFromAddress(fromValue);
  const text = bodyText(body, parseContentType(headerValue(headers, 'content-type')), headerValue(headers, 'content-transfer-encoding'));
  return {
    headers,
    headerLines: headerLines.map((l) => decodeCharset(Buffer.from(l, 'latin1'))),
    ...(from !== undefined ? { from } : {}),
    body: text.replace(/\r\n?/g, '\n'),
  };
}

/** The non-blank lines of a text, trimmed, in order (how a corpus stores a document). */
export function nonBlankLines(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/\r\n|\r|\n/)) {
    const t = line.trim();
    if (t !== '') out.push(t);
  }
  return out;
}

/**
 * A mail's corpus lines: its body's non-blank trimmed lines, after its header lines when
 * `includeHeaders` (each header line as written, folded continuation lines kept apart).
 */
export function mailLines(mail: ParsedMail, includeHeaders = false): string[] {
  const body = nonBlankLines(mail.body);
  return includeHeaders ? [...nonBlankLines(mail.headerLines.join('\n')), ...body] : body;
}
