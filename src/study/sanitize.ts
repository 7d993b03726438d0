import { UserError } from '../util/errors.js';

/**
 * Sanitisation, the Secret Sharer's "scrub the secrets" mitigation: before training, remove
 * every training line containing text that matches the canary format (any filling of its
 * secret slots), so the model never sees a secret of that shape.
 *
 * Format syntax (local builder; the canary module's parser is the reference for insertion):
 * text outside braces is literal, `{...}` is a secret slot in which each `*` stands for one
 * digit 0-9 and any other character is literal, e.g. "the random number is {*********}".
 * Matching is case-insensitive (tokenizers may lowercase) and any run of whitespace in the
 * format matches any run of whitespace in the text.
 */
export function canaryFormatPattern(format: string): RegExp {
  let src = '';
  let inSlot = false;
  let slotSymbols = 0;
  for (const ch of format) {
    if (ch === '{') {
      if (inSlot) throw new UserError(`canary format '${format}' has a '{' inside a slot`);
      inSlot = true;
    } else if (ch === '}') {
      if (!inSlot) throw new UserError(`canary format '${format}' has a '}' without a '{'`);
      inSlot = false;
    } else if (inSlot && ch === '*') {
      src += '[0-9]';
      slotSymbols++;
    } else if (/\s/.test(ch)) {
      if (!src.endsWith('\\s+')) src += '\\s+';
    } else {
      src += ch.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
    }
  }
  if (inSlot) throw new UserError(`canary format '${format}' has an unclosed '{'`);
  if (slotSymbols === 0) throw new UserError(`canary format '${format}' has no secret slot (write the secret as {***}, one * per digit)`);
  // A secret must not run on into more digits: 12345 is not a 4-digit secret.
  return new RegExp(`(?<![0-9])${src}(?![0-9])`, 'iu');
}

/** Training lines after sanitisation and how many were removed. */
export interface SanitizeResult {
  kept: string[];
  removed: number;
}

/** Remove every line containing a match of the canary format (see {@link canaryFormatPattern}). */
export function sanitizeLines(lines: readonly string[], canaryFormat: string): SanitizeResult {
  const re = canaryFormatPattern(canaryFormat);
  const kept = lines.filter((l) => !re.test(l));
  return { kept, removed: lines.length - kept.length };
}
