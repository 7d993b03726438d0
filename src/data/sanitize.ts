import { parseFormat, type CanaryFormat } from '../canary/format.js';

/**
 * Sanitisation, the Secret Sharer's "scrub the secrets" mitigation: before training, remove
 * every training line containing text that matches the canary format (its prefix, any
 * filling of its secret slot, its suffix), so the model never sees a secret of that shape.
 *
 * The format is parsed by the canary module (src/canary/format.ts: `{digits:N}`,
 * `{lower:N}`, `{set:CHARS:N}`). Matching errs towards removing more: it ignores case
 * (tokenizers may lowercase), and any run of whitespace in the format matches any run of
 * whitespace in the text.
 */
export function canaryFormatPattern(format: string | CanaryFormat): RegExp {
  const f = typeof format === 'string' ? parseFormat(format) : format;
  const literal = (s: string): string =>
    s
      .split(/\s+/)
      .map((part) => part.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'))
      .join('\\s+');
  const cls = `[${f.alphabet.map((c) => c.replace(/[\\\]^[-]/g, '\\$&')).join('')}]`;
  // A secret must not be part of a longer run of symbols (12345 is not a 4-digit secret).
  const before = f.prefix === '' ? `(?<!${cls})` : '';
  const after = f.suffix === '' ? `(?!${cls})` : '';
  return new RegExp(`${literal(f.prefix)}${before}${cls}{${f.length}}${after}${literal(f.suffix)}`, 'iu');
}

/** Training lines after sanitisation and how many were removed. */
export interface SanitizeResult {
  kept: string[];
  removed: number;
}

/** Remove every line containing a match of the canary format (see {@link canaryFormatPattern}). */
export function sanitizeLines(lines: readonly string[], canaryFormat: string | CanaryFormat): SanitizeResult {
  const re = canaryFormatPattern(canaryFormat);
  const kept = lines.filter((l) => !re.test(l));
  return { kept, removed: lines.length - kept.length };
}
