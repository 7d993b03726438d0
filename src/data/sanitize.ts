/**
 * Sanitisation, the Secret Sharer's "scrub the secrets" mitigation: before training, remove
 * every training line containing text that matches a secret's shape (its prefix, any filling
 * of its slot of `length` symbols from `alphabet`, its suffix), so the model never sees a
 * secret of that shape.
 *
 * A parsed canary format (src/canary/format.ts parseFormat: `{digits:N}`, `{lower:N}`,
 * `{set:CHARS:N}`) is such a shape; the data layer takes the shape, not the format syntax, so
 * that it does not depend on the canary layer above it. Matching errs towards removing more: it
 * ignores case (tokenizers may lowercase), and any run of whitespace in the shape matches any
 * run of whitespace in the text.
 */

/** The shape of a secret in a line of text: literal prefix and suffix around a slot. */
export interface SecretShape {
  /** Text before the secret. */
  readonly prefix: string;
  /** Text after the secret. */
  readonly suffix: string;
  /** The distinct symbols the slot is filled from (single characters). */
  readonly alphabet: readonly string[];
  /** Number of symbols in the secret (>= 1). */
  readonly length: number;
}

/** A regular expression that finds a secret of this shape anywhere in a line. */
export function canaryFormatPattern(f: SecretShape): RegExp {
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

/** Remove every line containing a secret of this shape (see {@link canaryFormatPattern}). */
export function sanitizeLines(lines: readonly string[], shape: SecretShape): SanitizeResult {
  const re = canaryFormatPattern(shape);
  const kept = lines.filter((l) => !re.test(l));
  return { kept, removed: lines.length - kept.length };
}
