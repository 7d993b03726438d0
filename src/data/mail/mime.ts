/**
 * The text of a MIME entity (a whole mail or one part of it). Input is a "binary string":
 * the raw bytes of the mail, one character per byte (latin1), so that transfer encodings are
 * undone on bytes and each text part is then decoded with its own charset.
 *
 * What is kept (documented in docs/secrets.md):
 * - text/plain and every other text/* type except HTML (text/enriched, text/x-vcard, patches):
 *   decoded from quoted-printable or base64, then from the part's charset;
 * - text/html: decoded the same way, then reduced to its visible text (html-text.ts);
 * - multipart/alternative: the first text/plain alternative when there is one, otherwise the
 *   first alternative with text; other multiparts: the text of every part, in order;
 * - message/rfc822 (a forwarded mail): its body, by the same rules (its headers are dropped);
 * - anything else (images, application/*): nothing.
 * A multipart whose boundary is missing or never occurs is read as plain text.
 */
import { headerValue, splitHeaders } from './headers.js';
import { htmlToText } from './html-text.js';

/** A Content-Type value: lowercased `type/subtype` and its parameters (names lowercased). */
export interface ContentType {
  readonly type: string;
  readonly params: Readonly<Record<string, string>>;
}

/** Parse `text/plain; charset="us-ascii"`; a missing or malformed type is text/plain. */
export function parseContentType(value: string | undefined): ContentType {
  if (value === undefined) return { type: 'text/plain', params: {} };
  const [head = '', ...rest] = splitParams(value);
  const type = head.trim().toLowerCase();
  const params: Record<string, string> = {};
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq <= 0) continue;
    let v = p.slice(eq + 1).trim();
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    params[p.slice(0, eq).trim().toLowerCase()] = v;
  }
  return { type: /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(type) ? type : 'text/plain', params };
}

/** Split on ';' outside double quotes. */
function splitParams(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '"') quoted = !quoted;
    if (c === '\\' && quoted && i + 1 < value.length) {
      cur += c + value[++i]!;
      continue;
    }
    if (c === ';' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** Undo quoted-printable (RFC 2045 6.7): `=XX` bytes and `=` soft line breaks. Bad escapes stay as written. */
export function decodeQuotedPrintable(binary: string): Buffer {
  const text = binary.replace(/[ \t]+(?=\r?\n)/g, '').replace(/=[ \t]*\r?\n/g, '');
  const out = Buffer.alloc(text.length);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x3d && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      out[n++] = parseInt(text.slice(i + 1, i + 3), 16);
      i += 2;
    } else out[n++] = c & 0xff;
  }
  return out.subarray(0, n);
}

/** Undo base64, ignoring line breaks and any other character outside the alphabet. */
export function decodeBase64(binary: string): Buffer {
  return Buffer.from(binary.replace(/[^A-Za-z0-9+/]/g, ''), 'base64');
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

// windows-1252 at 0x80-0x9F (0 where the code page has no character and the byte stays as is).
// Node's TextDecoder('windows-1252') reads these bytes as latin1 control codes instead.
const CP1252_HIGH = [
  0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0,
  0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
];

/** Bytes as windows-1252 (ISO-8859-1 with printable characters at 0x80-0x9F). */
export function decodeWindows1252(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 8192) {
    const chunk = Array.from(bytes.subarray(i, i + 8192), (b) => (b >= 0x80 && b <= 0x9f ? CP1252_HIGH[b - 0x80] || b : b));
    out += String.fromCharCode(...chunk);
  }
  return out;
}

const LATIN1_NAMES = new Set(['windows-1252', 'cp1252', 'iso-8859-1', 'iso8859-1', 'latin1', 'latin-1', 'l1', 'iso_8859-1', 'x-user-defined']);

/**
 * Bytes to text in the named charset. UTF-8 (and ASCII, and a missing charset) is tried
 * strictly and falls back to windows-1252 (a superset of ISO-8859-1 for text) when the bytes
 * are not UTF-8; an unknown charset is read as windows-1252. Never throws.
 */
export function decodeCharset(bytes: Uint8Array, charset?: string): string {
  const name = charset?.trim().toLowerCase();
  if (name === undefined || name === '' || name === 'utf-8' || name === 'utf8' || name === 'us-ascii' || name === 'ascii') {
    try {
      return UTF8.decode(bytes);
    } catch {
      return decodeWindows1252(bytes);
    }
  }
  if (LATIN1_NAMES.has(name)) return decodeWindows1252(bytes);
  try {
    return new TextDecoder(name).decode(bytes);
  } catch {
    return decodeWindows1252(bytes);
  }
}

/** Undo a part's Content-Transfer-Encoding (7bit, 8bit, binary and unknown ones: the bytes as they are). */
export function decodeTransfer(binary: string, encoding: string | undefined): Buffer {
  const e = encoding?.trim().toLowerCase();
  if (e === 'quoted-printable') return decodeQuotedPrintable(binary);
  if (e === 'base64') return decodeBase64(binary);
  return Buffer.from(binary, 'latin1');
}

/** Nesting deeper than this is not followed (a guard against pathological mails). */
const MAX_DEPTH = 20;

/** The readable text of a MIME entity given as a binary string (headers, blank line, body). */
export function entityText(binary: string, depth = 0): string {
  const { headers, body } = splitHeaders(binary);
  return bodyText(body, parseContentType(headerValue(headers, 'content-type')), headerValue(headers, 'content-transfer-encoding'), depth);
}

/** The readable text of an entity's body, given its content type and transfer encoding. */
export function bodyText(body: string, ct: ContentType, encoding: string | undefined, depth = 0): string {
  if (ct.type.startsWith('multipart/') && depth < MAX_DEPTH) {
    const parts = ct.params['boundary'] ? multipartParts(body, ct.params['boundary']) : undefined;
    if (parts === undefined) return bodyText(body, { type: 'text/plain', params: {} }, encoding, depth);
    if (ct.type === 'multipart/alternative') {
      const plain = parts.find((p) => partType(p) === 'text/plain');
      const chosen = plain !== undefined ? [plain] : parts;
      for (const p of chosen) {
        const t = entityText(p, depth + 1);
        if (t.trim() !== '') return t;
      }
      return '';
    }
    return parts.map((p) => entityText(p, depth + 1)).filter((t) => t.trim() !== '').join('\n');
  }
  if (ct.type === 'message/rfc822' && depth < MAX_DEPTH) return entityText(decodeTransfer(body, encoding).toString('latin1'), depth + 1);
  if (!ct.type.startsWith('text/')) return '';
  const text = decodeCharset(decodeTransfer(body, encoding), ct.params['charset']);
  return ct.type === 'text/html' ? htmlToText(text) : text;
}

function partType(part: string): string {
  return parseContentType(headerValue(splitHeaders(part).headers, 'content-type')).type;
}

/**
 * The parts of a multipart body (each a binary string: headers, blank line, body), without
 * the preamble and epilogue; undefined when the boundary never occurs.
 */
export function multipartParts(body: string, boundary: string): string[] | undefined {
  const delimiter = `--${boundary}`;
  const parts: string[] = [];
  let start = -1; // where the current part's text begins
  let pos = 0;
  let found = false;
  while (pos <= body.length) {
    let end = body.indexOf('\n', pos);
    if (end < 0) end = body.length;
    const line = body.slice(pos, end).replace(/\r$/, '').trimEnd();
    if (line === delimiter || line === `${delimiter}--`) {
      found = true;
      if (start >= 0) parts.push(body.slice(start, Math.max(start, pos - 1)).replace(/\r$/, ''));
      if (line !== delimiter) return parts;
      start = end + 1;
    }
    pos = end + 1;
  }
  // A missing closing delimiter: the last part runs to the end.
  if (start >= 0 && start < body.length) parts.push(body.slice(start));
  return found ? parts : undefined;
}
