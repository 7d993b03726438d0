/**
 * Natural secrets: personal data with a digit structure found in a corpus (as opposed to the
 * canaries dp-canary plants itself). The scanner (`dp-canary secrets`) produces them; the
 * natural-secret test scores each one in its real context against the candidate space of its
 * own format (the Secret Sharer's Enron experiment, Carlini et al. 2019, section 8).
 */

/** The kinds of natural secret, defined once. 'custom' is a user-given canary format. */
export const SECRET_KINDS = ['phone', 'card', 'ssn', 'ipv4', 'custom'] as const;

export type SecretKind = (typeof SECRET_KINDS)[number];

/** One place where a secret occurs. */
export interface SecretOccurrence {
  /** Id of the document holding it (CorpusDocument.id). */
  readonly document: string;
  /** The document's user key, when the corpus has one. */
  readonly user?: string;
  /** Index of the line within the document's lines (0-based). */
  readonly line: number;
  /** Character offset of the secret within that line (UTF-16 code units). */
  readonly column: number;
  /**
   * The text before the secret in the same document (at most the scanner's context length,
   * lines joined with '\n'), the context the secret is scored in.
   */
  readonly context: string;
}

/** A distinct secret (the same exact string) with every place it occurs. */
export interface NaturalSecret {
  readonly kind: SecretKind;
  /** The secret exactly as written, separators included, e.g. '(617) 555-1212'. */
  readonly text: string;
  /**
   * The candidate space as a canary format: the secret's shape with each run of varying
   * symbols as a slot and its separators as literal text, e.g. '({digits:3}) {digits:3}-{digits:4}'
   * (several slots are allowed here; |R| is the product of the slots' sizes).
   */
  readonly format: string;
  /** log2 |R| of that format, in bits. */
  readonly spaceBits: number;
  readonly occurrences: readonly SecretOccurrence[];
  /** Number of distinct documents and of distinct users holding it (users: 0 when unknown). */
  readonly documents: number;
  readonly users: number;
}
