import type { NaturalSecret, SecretOccurrence } from '../data/secrets/types.js';
import type { Tokenizer } from '../data/tokenizer.js';
import { DpCanaryError } from '../util/errors.js';
import { type SecretFormat, parseSecretFormat } from './format.js';
import { spaceSymbols } from './space.js';
import { type SecretTokens, secretTokens } from './tokens.js';

/**
 * How a natural secret is seen by a model: its format through the model's tokenizer, the
 * secret's own symbols in that space, and the contexts it is scored in. A secret the tokenizer
 * cannot represent is not testable, with the reason (never dropped silently).
 */

/** A secret that can be scored: its space and its own symbols there. */
export interface TestableSecret {
  readonly testable: true;
  readonly format: SecretFormat;
  /** The varying part of the secret's text (from its first slot to the end of its last). */
  readonly secretText: string;
  /** Token positions of the format (prefix ids without any context). */
  readonly tokens: SecretTokens;
  /** The secret's symbol at each token position. */
  readonly symbols: Int32Array;
}

/** A secret that cannot be scored, and why (one sentence). */
export interface UntestableSecret {
  readonly testable: false;
  readonly reason: string;
}

/** Whether the id is the tokenizer's unknown id: the symbol it decodes to does not map back to it. */
export function isUnknownToken(tokenizer: Tokenizer, id: number): boolean {
  return tokenizer.idOf(tokenizer.decode([id])) !== id;
}

/**
 * The secret's format and symbols through `tokenizer`, or why it is not testable: its text is
 * not prefix + secret + suffix of its own format, a symbol or separator has no token of its
 * own, or the tokenizer reads the secret as other tokens than its positions. Throws
 * InvalidArgumentError only for a format that does not parse (bad input, not a property of the
 * model).
 */
export function prepareSecret(secret: NaturalSecret, tokenizer: Tokenizer): TestableSecret | UntestableSecret {
  const format = parseSecretFormat(secret.format);
  const { prefix, suffix } = format;
  const fits = secret.text.startsWith(prefix) && secret.text.endsWith(suffix) && secret.text.length >= prefix.length + suffix.length;
  if (!fits) {
    return { testable: false, reason: `its text '${secret.text}' does not start with '${prefix}' and end with '${suffix}' as its format '${secret.format}' says` };
  }
  const secretText = secret.text.slice(prefix.length, secret.text.length - suffix.length);
  let tokens: SecretTokens;
  let symbols: Int32Array;
  try {
    tokens = secretTokens(format, tokenizer);
    symbols = spaceSymbols(tokens.space, secretText, `its format '${secret.format}'`);
  } catch (err) {
    if (err instanceof DpCanaryError) return { testable: false, reason: err.message };
    throw err;
  }
  const ids = Array.from(symbols, (s, i) => tokens.positionIds[i]![s]!);
  const encoded = tokenizer.encode(secretText);
  if (encoded.length !== ids.length || encoded.some((id, i) => id !== ids[i])) {
    return { testable: false, reason: `the ${tokenizer.kind} tokenizer reads '${secretText}' as other tokens than the positions of its format` };
  }
  return { testable: true, format, secretText, tokens, symbols };
}

/** One context a secret is scored in: the text before an occurrence, as token ids. */
export interface ScoringContext {
  /** Index of the occurrence in the secret's list. */
  readonly occurrence: number;
  readonly document: string;
  readonly user?: string;
  /** The occurrence's context text (the format's prefix follows it). */
  readonly text: string;
  /** Token ids: the context, then the format's prefix (a line break first when the context starts its document). */
  readonly prefixIds: readonly number[];
  /** Tokens of the context the tokenizer mapped to its unknown id (characters it cannot represent). */
  readonly unknownTokens: number;
}

/**
 * The first `count` occurrences (in the secret's order: the scanner lists them in corpus order)
 * whose document is in `documents` (all when not given), as scoring contexts through the
 * secret's tokens. A context that starts at the beginning of its document (line 0, as long as
 * the column) is preceded by a line break, which is what came before the document in the
 * training token stream.
 */
export function scoringContexts(
  secret: NaturalSecret,
  prepared: TestableSecret,
  tokenizer: Tokenizer,
  count: number,
  documents?: ReadonlySet<string>,
): ScoringContext[] {
  const newline = tokenizer.idOf('\n');
  const chosen: [SecretOccurrence, number][] = [];
  secret.occurrences.forEach((occ, i) => {
    if (chosen.length < count && (documents === undefined || documents.has(occ.document))) chosen.push([occ, i]);
  });
  return chosen.map(([occ, i]) => {
    const t = secretTokens(prepared.format, tokenizer, { before: occ.context });
    const contextIds = tokenizer.encode(occ.context);
    const startsDocument = occ.line === 0 && occ.context.length === occ.column;
    return {
      occurrence: i,
      document: occ.document,
      ...(occ.user !== undefined ? { user: occ.user } : {}),
      text: occ.context,
      prefixIds: startsDocument && newline !== undefined ? [newline, ...t.prefixIds] : t.prefixIds,
      unknownTokens: contextIds.filter((id) => isUnknownToken(tokenizer, id)).length,
    };
  });
}
