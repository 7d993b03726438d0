/**
 * Visible text of an HTML mail part, crudely: scripts, styles and comments dropped, block
 * elements turned into line breaks, every other tag removed, character references decoded.
 * Good enough for mail bodies (the text a reader sees, for training and for the secret
 * scanner); not an HTML parser.
 */

const NAMED: Readonly<Record<string, string>> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', copy: '\u00a9', reg: '\u00ae',
  mdash: '\u2014', ndash: '\u2013', hellip: '\u2026', laquo: '\u00ab', raquo: '\u00bb',
  lsquo: '\u2018', rsquo: '\u2019', ldquo: '\u201c', rdquo: '\u201d', bull: '\u2022',
  middot: '\u00b7', trade: '\u2122', euro: '\u20ac', pound: '\u00a3', cent: '\u00a2', yen: '\u00a5',
};

// Elements after which a reader sees a new line.
const BLOCK = /<\/?(?:br|p|div|tr|li|ul|ol|h[1-6]|table|blockquote|hr|pre|center|dd|dt|dl|title|form)\b[^>]*>/gi;

/** Decode `&amp;`, `&#65;`, `&#x41;` and the common named references; unknown ones are kept. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});?/g, (whole, ref: string) => {
    if (ref.startsWith('#')) {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : whole;
    }
    return NAMED[ref.toLowerCase()] ?? whole;
  });
}

/** The visible text of an HTML document or fragment, one line per block. */
export function htmlToText(html: string): string {
  return decodeEntities(
    html
      .replace(/<!--[\s\S]*?(?:-->|$)/g, ' ')
      .replace(/<(script|style)\b[^>]*>[\s\S]*?(?:<\/\1\s*>|$)/gi, ' ')
      .replace(/[\r\n]+/g, ' ') // source line breaks are spaces in HTML
      .replace(BLOCK, '\n')
      .replace(/<\/?t[dh]\b[^>]*>/gi, ' ')
      .replace(/<[!/?]?[a-zA-Z][^>]*>/g, ''),
  ).replace(/[ \t\u00a0]+/g, ' ');
}
