import { existsSync, readFileSync } from 'node:fs';
import { parseSecretFormat } from '../canary/format.js';
import { type NaturalSecret, type SecretOccurrence, SECRET_KINDS, type SecretKind } from '../data/secrets/types.js';
import { InvalidArgumentError } from '../util/errors.js';

/**
 * The natural secrets of a JSON file written by `dp-canary secrets --out FILE`: an object
 * `{ "secrets": NaturalSecret[], ... }` (its other fields are ignored), or a bare array of
 * secrets. Every field is checked; a bad file is one InvalidArgumentError naming the file,
 * the secret and the field.
 */
export function readNaturalSecretsFile(path: string): NaturalSecret[] {
  if (!existsSync(path)) throw new InvalidArgumentError(`secrets file ${path} does not exist`);
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new InvalidArgumentError(`secrets file ${path} is not valid JSON`);
  }
  return naturalSecretsFromValue(value, path);
}

/** The natural secrets of a parsed JSON value (see readNaturalSecretsFile); `source` names it in errors. */
export function naturalSecretsFromValue(value: unknown, source: string): NaturalSecret[] {
  const list = Array.isArray(value) ? value : isObject(value) ? value.secrets : undefined;
  if (!Array.isArray(list)) {
    throw new InvalidArgumentError(`${source}: expected an object with a "secrets" array (dp-canary secrets --out) or an array of secrets`);
  }
  return list.map((item, i) => secretFromValue(item, `${source}: secret ${i}`));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function count(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new InvalidArgumentError(`${what} must be an integer >= 0, got ${JSON.stringify(v)}`);
  return v;
}

function text(v: unknown, what: string, nonEmpty = false): string {
  if (typeof v !== 'string' || (nonEmpty && v === '')) throw new InvalidArgumentError(`${what} must be a${nonEmpty ? ' non-empty' : ''} string, got ${JSON.stringify(v)}`);
  return v;
}

function occurrenceFromValue(v: unknown, where: string): SecretOccurrence {
  if (!isObject(v)) throw new InvalidArgumentError(`${where} must be an object`);
  return {
    document: text(v.document, `${where}: "document"`),
    ...(v.user !== undefined && v.user !== null ? { user: text(v.user, `${where}: "user"`) } : {}),
    line: count(v.line, `${where}: "line"`),
    column: count(v.column, `${where}: "column"`),
    context: text(v.context, `${where}: "context"`),
  };
}

function secretFromValue(v: unknown, where: string): NaturalSecret {
  if (!isObject(v)) throw new InvalidArgumentError(`${where} must be an object`);
  const kind = v.kind;
  if (typeof kind !== 'string' || !(SECRET_KINDS as readonly string[]).includes(kind)) {
    throw new InvalidArgumentError(`${where}: "kind" must be one of ${SECRET_KINDS.join(', ')}, got ${JSON.stringify(kind)}`);
  }
  const format = text(v.format, `${where}: "format"`, true);
  try {
    parseSecretFormat(format);
  } catch (err) {
    throw new InvalidArgumentError(`${where}: ${(err as Error).message}`);
  }
  if (typeof v.spaceBits !== 'number' || !Number.isFinite(v.spaceBits) || v.spaceBits < 0) {
    throw new InvalidArgumentError(`${where}: "spaceBits" must be a finite number >= 0, got ${JSON.stringify(v.spaceBits)}`);
  }
  if (!Array.isArray(v.occurrences)) throw new InvalidArgumentError(`${where}: "occurrences" must be an array`);
  return {
    kind: kind as SecretKind,
    text: text(v.text, `${where}: "text"`, true),
    format,
    spaceBits: v.spaceBits,
    occurrences: v.occurrences.map((o, k) => occurrenceFromValue(o, `${where}: occurrence ${k}`)),
    documents: count(v.documents, `${where}: "documents"`),
    users: count(v.users, `${where}: "users"`),
  };
}
