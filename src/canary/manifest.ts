import { InvalidArgumentError } from '../util/errors.js';
import { auditManifestFromValue, type AuditManifest } from './audit-manifest.js';
import { fillFormat, parseFormat, symbolsFromSecret } from './format.js';

/** One inserted canary as stored in a run's manifest. */
export interface ManifestCanary {
  readonly name: string;
  readonly secret: string;
  readonly text: string;
  readonly insertions: number;
  /** 0-based line/document indices of the copies in the corpus after insertion, increasing. */
  readonly positions: readonly number[];
  /** Runs over privacy units: the key of the one unit (a user, a document id) that holds every copy. */
  readonly unit?: string;
}

/** What a run records about its canaries (stored as JSON beside the run). */
export interface CanaryManifest {
  /** The canary format string (see parseFormat). */
  readonly format: string;
  /** Kind of random source that drew secrets and places: 'seeded' is reproducible but guessable. */
  readonly randomSource: 'seeded' | 'secure';
  /** Number of lines/documents of the corpus after insertion. */
  readonly corpusUnits: number;
  readonly canaries: readonly ManifestCanary[];
  /** Audit canaries of the one-run privacy audit, when the run has them (see audit-manifest.ts). */
  readonly audit?: AuditManifest;
}

const TYPE = 'dp-canary-manifest';
const VERSION = 1;

/**
 * JSON text of a manifest (the caller writes it with writeFileAtomic).
 *
 * ```ts
 * import { parseFormat } from 'dp-canary/canary';
 * const format = parseFormat('my pin is {digits:4}');
 * import { generateCanaries, insertCanaries, seededRandom } from 'dp-canary/canary';
 * const random = seededRandom(1); // reproducible; secureRandom() for a real audit
 * const canaries = generateCanaries(format, [2], random);
 * const { corpus, manifest } = insertCanaries('first line\nsecond line', format, canaries, random);
 * import { manifestFromJson, manifestToJson } from 'dp-canary/canary';
 * const text = manifestToJson(manifest); // write it beside the corpus
 * manifestFromJson(text).canaries[0]!.secret === canaries[0]!.secret; // true
 * ```
 */
export function manifestToJson(m: CanaryManifest): string {
  return JSON.stringify({ type: TYPE, version: VERSION, ...m }, null, 2) + '\n';
}

function fail(what: string): never {
  throw new InvalidArgumentError(`invalid canary manifest: ${what}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parse and validate a manifest: the format parses, every secret belongs to it and its text is
 * the filled format, names and secrets are unique, positions are distinct increasing indices
 * below corpusUnits and there are `insertions` of them. Throws InvalidArgumentError otherwise.
 *
 * ```ts
 * import { parseFormat } from 'dp-canary/canary';
 * const format = parseFormat('my pin is {digits:4}');
 * import { generateCanaries, insertCanaries, seededRandom } from 'dp-canary/canary';
 * const random = seededRandom(1); // reproducible; secureRandom() for a real audit
 * const canaries = generateCanaries(format, [2], random);
 * const { corpus, manifest } = insertCanaries('first line\nsecond line', format, canaries, random);
 * import { manifestFromJson, manifestToJson } from 'dp-canary/canary';
 * const again = manifestFromJson(manifestToJson(manifest)); // checked: a malformed file throws
 * again.corpusUnits; // 4
 * ```
 */
export function manifestFromJson(text: string): CanaryManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    fail('not JSON');
  }
  if (!isRecord(raw) || raw['type'] !== TYPE) fail(`not a ${TYPE} file`);
  if (raw['version'] !== VERSION) fail(`unsupported version ${String(raw['version'])}`);
  const formatText = raw['format'];
  if (typeof formatText !== 'string') fail('"format" must be a string');
  const format = parseFormat(formatText);
  const randomSource = raw['randomSource'];
  if (randomSource !== 'seeded' && randomSource !== 'secure') fail('"randomSource" must be "seeded" or "secure"');
  const units = raw['corpusUnits'];
  if (typeof units !== 'number' || !Number.isSafeInteger(units) || units < 0) fail('"corpusUnits" must be an integer >= 0');
  const list = raw['canaries'];
  if (!Array.isArray(list)) fail('"canaries" must be an array');
  const names = new Set<string>();
  const secrets = new Set<string>();
  const taken = new Set<number>();
  const canaries = list.map((c: unknown, i): ManifestCanary => {
    if (!isRecord(c)) fail(`canary ${i} is not an object`);
    const { name, secret, text: ctext, insertions, positions, unit } = c;
    if (typeof name !== 'string' || name === '') fail(`canary ${i} has no name`);
    if (names.has(name)) fail(`two canaries are named '${name}'`);
    names.add(name);
    if (typeof secret !== 'string') fail(`canary '${name}' has no secret`);
    symbolsFromSecret(format, secret);
    if (secrets.has(secret)) fail(`two canaries share the secret '${secret}'`);
    secrets.add(secret);
    if (ctext !== fillFormat(format, secret)) fail(`canary '${name}' text does not match its format and secret`);
    if (typeof insertions !== 'number' || !Number.isSafeInteger(insertions) || insertions < 1) {
      fail(`canary '${name}' insertions must be an integer >= 1`);
    }
    if (!Array.isArray(positions) || positions.length !== insertions) fail(`canary '${name}' must list ${insertions} positions`);
    let prev = -1;
    for (const p of positions) {
      if (typeof p !== 'number' || !Number.isSafeInteger(p) || p <= prev || p >= units) {
        fail(`canary '${name}' positions must be increasing integers in [0, ${units})`);
      }
      if (taken.has(p)) fail(`position ${p} is used by two canaries`);
      taken.add(p);
      prev = p;
    }
    if (unit !== undefined && (typeof unit !== 'string' || unit === '')) fail(`canary '${name}' unit must be a non-empty string`);
    return { name, secret, text: ctext, insertions, positions: positions as number[], ...(unit !== undefined ? { unit } : {}) };
  });
  const audit = raw['audit'] === undefined ? undefined : auditManifestFromValue(raw['audit']);
  return { format: formatText, randomSource, corpusUnits: units, canaries, ...(audit ? { audit } : {}) };
}
