import { InvalidArgumentError } from '../util/errors.js';
import { fillFormat, parseFormat, symbolsFromSecret } from './format.js';

/**
 * The audit canaries of a run (the one-run privacy audit, src/audit/): random secrets of their
 * own format, each put into the training data with probability 1/2 as `repeats` extra training
 * windows of its own. Membership (`included`) is recorded here for counting right guesses after
 * scoring; the scorer never reads it.
 */
export interface AuditCanary {
  readonly name: string;
  readonly secret: string;
  readonly text: string;
  /** True when the canary's windows are in the training data. */
  readonly included: boolean;
  /** 0-based indices of its training windows (`repeats` of them when included, none otherwise). */
  readonly windows: readonly number[];
}

export interface AuditManifest {
  /** Format of the audit canaries (differs from the exposure canaries' format). */
  readonly format: string;
  /** Training windows per included canary (the privacy group size k of one canary). */
  readonly repeats: number;
  /** 'seeded' (reproducible, guessable) or 'secure' (node:crypto) membership and secrets. */
  readonly randomSource: 'seeded' | 'secure';
  readonly canaries: readonly AuditCanary[];
}

function fail(what: string): never {
  throw new InvalidArgumentError(`invalid canary manifest: audit: ${what}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Validate the "audit" part of a manifest: the format parses, secrets belong to it and are
 * unique, texts are the filled format, and an included canary lists `repeats` distinct windows,
 * an excluded one none. Throws InvalidArgumentError otherwise.
 */
export function auditManifestFromValue(raw: unknown): AuditManifest {
  if (!isRecord(raw)) fail('must be an object');
  const formatText = raw['format'];
  if (typeof formatText !== 'string') fail('"format" must be a string');
  const format = parseFormat(formatText);
  const repeats = raw['repeats'];
  if (typeof repeats !== 'number' || !Number.isSafeInteger(repeats) || repeats < 1) fail('"repeats" must be an integer >= 1');
  const randomSource = raw['randomSource'];
  if (randomSource !== 'seeded' && randomSource !== 'secure') fail('"randomSource" must be "seeded" or "secure"');
  const list = raw['canaries'];
  if (!Array.isArray(list) || list.length === 0) fail('"canaries" must be a non-empty array');
  const names = new Set<string>();
  const secrets = new Set<string>();
  const windows = new Set<number>();
  const canaries = list.map((c: unknown, i): AuditCanary => {
    if (!isRecord(c)) fail(`canary ${i} is not an object`);
    const { name, secret, text, included, windows: w } = c;
    if (typeof name !== 'string' || name === '' || names.has(name)) fail(`canary ${i} needs a unique name`);
    names.add(name);
    if (typeof secret !== 'string' || secrets.has(secret)) fail(`canary '${name}' needs a unique secret`);
    symbolsFromSecret(format, secret);
    secrets.add(secret);
    if (text !== fillFormat(format, secret)) fail(`canary '${name}' text does not match its format and secret`);
    if (typeof included !== 'boolean') fail(`canary '${name}' needs "included": true or false`);
    const want = included ? repeats : 0;
    if (!Array.isArray(w) || w.length !== want) fail(`canary '${name}' must list ${want} windows`);
    for (const x of w) {
      if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0 || windows.has(x)) fail(`canary '${name}' has a bad or shared window index`);
      windows.add(x);
    }
    return { name, secret, text, included, windows: w as number[] };
  });
  return { format: formatText, repeats, randomSource, canaries };
}
