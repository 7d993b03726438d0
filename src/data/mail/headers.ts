/**
 * RFC 822 / 5322 header blocks: the lines before the first blank line of a mail (or of a MIME
 * part), with folded continuation lines joined back. Real mails are messy, so this never
 * throws: what does not look like a header ends the block.
 */

/** One header as written: its name (original case) and its unfolded value (trimmed). */
export interface MailHeader {
  readonly name: string;
  readonly value: string;
}

/** A split of a mail (or MIME part) into its header block and its body text. */
export interface HeaderSplit {
  readonly headers: readonly MailHeader[];
  /** The raw header lines, as written (folded lines kept apart; an mbox 'From ' line included). */
  readonly headerLines: readonly string[];
  /** Everything after the blank line that ends the headers ('' when there is none). */
  readonly body: string;
}

// A header field name: printable ASCII except ':' and space (RFC 5322 section 2.2).
const HEADER_LINE = /^([!-9;-~]+)[ \t]*:(.*)$/;

/**
 * Split text (lines separated by \n, \r\n or \r) into headers and body. The header block runs
 * from the first line to the first blank line; an mbox separator line ('From sender date',
 * no colon) at the very top belongs to it but is not a header. Lines starting with a space or
 * tab continue the previous header. A blank first line is an empty block (the body follows
 * it). When the text does not start with a header, it is all body (no headers); a line inside the block that is neither a header nor a continuation ends
 * the block, and it and what follows are the body.
 */
export function splitHeaders(text: string): HeaderSplit {
  const headers: { name: string; value: string }[] = [];
  const headerLines: string[] = [];
  let pos = 0;
  let first = true;
  while (pos < text.length) {
    const { line, next } = readLine(text, pos);
    if (line.trim() === '') {
      // The blank line ends the block; as the first line it means an empty block (a MIME part without headers).
      return { headers, headerLines, body: text.slice(next) };
    }
    if (first && line.startsWith('From ')) {
      headerLines.push(line);
    } else if ((line.startsWith(' ') || line.startsWith('\t')) && headers.length > 0) {
      const last = headers[headers.length - 1]!;
      last.value = `${last.value} ${line.trim()}`.trim();
      headerLines.push(line);
    } else {
      const m = HEADER_LINE.exec(line);
      if (m === null) break;
      headers.push({ name: m[1]!, value: m[2]!.trim() });
      headerLines.push(line);
    }
    first = false;
    pos = next;
  }
  if (headers.length === 0) return { headers: [], headerLines: [], body: text };
  // The block ended without a blank line: the rest (from the odd line on) is the body.
  return { headers, headerLines, body: text.slice(pos) };
}

function readLine(text: string, pos: number): { line: string; next: number } {
  let end = pos;
  while (end < text.length && text[end] !== '\n' && text[end] !== '\r') end++;
  let next = end;
  if (text[next] === '\r') next++;
  if (text[next] === '\n') next++;
  return { line: text.slice(pos, end), next };
}

/** The value of the first header with this name (case-insensitive), or undefined. */
export function headerValue(headers: readonly MailHeader[], name: string): string | undefined {
  const wanted = name.toLowerCase();
  return headers.find((h) => h.name.toLowerCase() === wanted)?.value;
}

// Characters that cannot be in an unquoted address (RFC 5322 atext plus '.', roughly).
const ADDRESS = /[^\s<>()[\]",;:\\]+@[^\s<>()[\]",;:\\]+/;

/**
 * The sender's address of a From: value, lowercased: the address inside '<...>' when there is
 * one, otherwise the first bare 'local@domain' (comments in parentheses and quoted display
 * names are skipped). Undefined when the value holds no address.
 *   'Robert Elz <kre@munnari.OZ.AU>' -> 'kre@munnari.oz.au'
 *   'kre@munnari.OZ.AU (Robert Elz)' -> 'kre@munnari.oz.au'
 */
export function parseFromAddress(value: string): string | undefined {
  const withoutQuoted = value.replace(/"(?:[^"\\]|\\.)*"/g, ' ');
  const angle = /<([^<>]*)>/.exec(withoutQuoted);
  if (angle !== null) {
    const inside = ADDRESS.exec(angle[1]!);
    if (inside !== null) return cleanAddress(inside[0]);
  }
  const bare = ADDRESS.exec(withoutQuoted.replace(/\([^()]*\)/g, ' '));
  return bare === null ? undefined : cleanAddress(bare[0]);
}

function cleanAddress(address: string): string {
  return address.replace(/^mailto:/i, '').replace(/\.+$/, '').toLowerCase();
}
