import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from '../util/errors.js';
import { toPrettyJson } from '../util/json.js';
import { ACCOUNTANT_NAMES } from '../accountant/accountant.js';
import { OPTIMIZER_NAMES } from '../dpsgd/optimizer-names.js';
import { CELL_NAMES } from '../dpsgd/cell-names.js';
import { RUN_MODES } from '../pipeline/run-config.js';
import { PRIVACY_UNITS } from '../data/units.js';
import {
  MITIGATIONS,
  POINT_AUDIT_FIELDS,
  POINT_RESULT_SCHEMA,
  type CanaryResult,
  type PointResult,
  type StudyPoint,
} from './types.js';

/** Pretty JSON in which non-finite numbers become the strings "Infinity", "-Infinity", "NaN". */
export const stringifyStudyJson = toPrettyJson;

/** Read and parse a JSON file; a missing or malformed file is an InvalidArgumentError naming it. */
export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new InvalidArgumentError(`cannot read '${path}'`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new InvalidArgumentError(`'${path}' is not valid JSON`);
  }
}

type Obj = Record<string, unknown>;

class Checker {
  constructor(private readonly where: string) {}
  fail(why: string): never {
    throw new InvalidArgumentError(`${this.where}: ${why}`);
  }
  obj(v: unknown, name: string): Obj {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(`${name} must be an object`);
    return v as Obj;
  }
  /** A number; the strings "Infinity"/"-Infinity" are accepted where `infinite` allows. */
  num(o: Obj, key: string, opts: { infinite?: boolean; min?: number; integer?: boolean } = {}): number {
    let v = o[key];
    if (opts.infinite && (v === 'Infinity' || v === '-Infinity')) v = v === 'Infinity' ? Infinity : -Infinity;
    if (typeof v !== 'number' || Number.isNaN(v) || (!opts.infinite && !Number.isFinite(v))) this.fail(`"${key}" must be a number`);
    const n = v as number;
    if (opts.min !== undefined && n < opts.min) this.fail(`"${key}" must be >= ${opts.min}, got ${n}`);
    if (opts.integer && !Number.isInteger(n)) this.fail(`"${key}" must be an integer, got ${n}`);
    return n;
  }
  str(o: Obj, key: string, allowed?: readonly string[]): string {
    const v = o[key];
    if (typeof v !== 'string') this.fail(`"${key}" must be a string`);
    if (allowed && !allowed.includes(v as string)) this.fail(`"${key}" must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
    return v as string;
  }
  bool(o: Obj, key: string): boolean {
    if (typeof o[key] !== 'boolean') this.fail(`"${key}" must be true or false`);
    return o[key] as boolean;
  }
  arr(o: Obj, key: string): unknown[] {
    if (!Array.isArray(o[key])) this.fail(`"${key}" must be an array`);
    return o[key] as unknown[];
  }
}

/** A point id: lowercase letters, digits, '.', '-', not starting with '.' (safe as a file name). */
export const POINT_ID = /^[a-z0-9][a-z0-9.-]*$/;

/** Check a study point read from JSON (a job file, or inside a result). */
export function validateStudyPoint(value: unknown, where: string): StudyPoint {
  const c = new Checker(where);
  const o = c.obj(value, 'the point');
  const id = c.str(o, 'id');
  if (!POINT_ID.test(id)) c.fail(`point id ${JSON.stringify(id)} must use only a-z, 0-9, '.', '-'`);
  const mitigation = c.str(o, 'mitigation', MITIGATIONS);
  // Points written before modes existed were trained from scratch.
  if (o.mode === undefined) o.mode = 'scratch';
  const mode = c.str(o, 'mode', RUN_MODES);
  if (mode === 'fine-tune') {
    const from = c.str(o, 'initFromPoint');
    if (!POINT_ID.test(from)) c.fail(`"initFromPoint" ${JSON.stringify(from)} is not a point id`);
  } else if (o.initFromPoint !== undefined) c.fail('"initFromPoint" is only for fine-tune points');
  if (mode === 'public' && mitigation !== 'none') c.fail('the public point trains without mitigation');
  if (o.physicalBatchSize !== undefined) c.num(o, 'physicalBatchSize', { min: 1, integer: true });
  if (o.accountant !== undefined) c.str(o, 'accountant', ACCOUNTANT_NAMES);
  if (o.auditCanaries !== undefined) c.num(o, 'auditCanaries', { min: 0, integer: true });
  if (o.auditRepeats !== undefined) c.num(o, 'auditRepeats', { min: 1, integer: true });
  if (o.auditFormat !== undefined) c.str(o, 'auditFormat');
  c.str(o, 'corpus');
  c.num(o, 'corpusMaxChars', { min: 1 });
  const vf = c.num(o, 'validationFraction');
  if (!(vf > 0 && vf < 1)) c.fail(`"validationFraction" must be in (0, 1), got ${vf}`);
  c.num(o, 'dataSeed', { integer: true });
  c.str(o, 'tokenizer', ['char', 'word']);
  c.bool(o, 'lowercase');
  for (const k of ['maxVocab', 'embeddingDim', 'hiddenSize', 'layers', 'seqLength', 'exposureReferences', 'extractionMaxQueries']) {
    c.num(o, k, { min: 1, integer: true });
  }
  if (!(c.num(o, 'epochs') > 0)) c.fail('"epochs" must be > 0');
  if (c.str(o, 'cell', CELL_NAMES) === 'transformer') {
    c.num(o, 'heads', { min: 1, integer: true });
    c.num(o, 'ffnSize', { min: 1, integer: true });
  }
  c.str(o, 'optimizer', OPTIMIZER_NAMES);
  for (const k of ['learningRate', 'batchSize', 'clip', 'weightDecay']) c.num(o, k, { min: 0 });
  const delta = c.num(o, 'delta');
  if (!(delta > 0 && delta < 1)) c.fail(`"delta" must be in (0, 1), got ${delta}`);
  const dropout = c.num(o, 'dropout', { min: 0 });
  if (!(dropout < 1)) c.fail(`"dropout" must be in [0, 1), got ${dropout}`);
  c.str(o, 'canaryFormat');
  const ins = c.arr(o, 'insertions');
  if (ins.length === 0 || ins.some((r) => typeof r !== 'number' || !Number.isInteger(r) || r < 0)) c.fail('"insertions" must be non-negative integers');
  c.bool(o, 'exposureEachEpoch');
  c.num(o, 'seed', { integer: true });
  if (mitigation === 'dp') c.num(o, 'targetEpsilon', { min: 0 });
  else if (o.targetEpsilon !== undefined) c.fail('"targetEpsilon" is only for dp points');
  if (o.privacyUnit !== undefined) {
    const unit = c.str(o, 'privacyUnit', PRIVACY_UNITS);
    if (unit !== 'window' && mitigation !== 'dp') c.fail(`"privacyUnit" ${unit} is only for dp points`);
  }
  if (o.dataUnit !== undefined) c.str(o, 'dataUnit', ['document', 'user']);
  if (o.unitWindows !== undefined) c.num(o, 'unitWindows', { min: 1, integer: true });
  if (o.userMap !== undefined) c.str(o, 'userMap');
  if (o.userPattern !== undefined) c.str(o, 'userPattern');
  if (o.naturalSecrets !== undefined) c.bool(o, 'naturalSecrets');
  return o as unknown as StudyPoint;
}

function validateCanary(c: Checker, value: unknown): CanaryResult {
  const o = c.obj(value, 'a canary result');
  c.str(o, 'name');
  c.num(o, 'insertions', { min: 0, integer: true });
  c.num(o, 'logPerplexityBits', { infinite: true });
  c.num(o, 'exposure');
  c.str(o, 'exposureMethod', ['exact', 'interpolation', 'extrapolation']);
  c.bool(o, 'extracted');
  if (o.extractionRank !== undefined) c.num(o, 'extractionRank', { min: 1, integer: true });
  c.num(o, 'extractionQueries', { min: 0 });
  if (o.logPerplexityBits === 'Infinity') o.logPerplexityBits = Infinity;
  return o as unknown as CanaryResult;
}

/**
 * Check a point result read from JSON; returns a copy with "Infinity" strings turned back
 * into numbers.
 * Throws InvalidArgumentError naming `where` when anything is missing or of the wrong type.
 */
export function validatePointResult(value: unknown, where: string): PointResult {
  const c = new Checker(where);
  // Work on a copy: the caller's object is left as it was.
  const o = structuredClone(c.obj(value, 'the result'));
  if (o.schema !== POINT_RESULT_SCHEMA) c.fail(`not a point result (schema ${JSON.stringify(o.schema)})`);
  const id = c.str(o, 'id');
  const point = validateStudyPoint(o.point, where);
  if (point.id !== id) c.fail(`result id ${id} differs from its point's id ${point.id}`);
  const status = c.str(o, 'status', ['ok', 'failed']);
  if (status === 'failed') {
    c.str(o, 'error');
    c.num(o, 'elapsedSeconds', { min: 0 });
    return o as unknown as PointResult;
  }
  o.epsilon = c.num(o, 'epsilon', { infinite: true, min: 0 });
  if (o.epsilonPld !== undefined) o.epsilonPld = c.num(o, 'epsilonPld', { infinite: true, min: 0 });
  c.num(o, 'delta', { min: 0 });
  c.num(o, 'noiseMultiplier', { min: 0 });
  c.num(o, 'steps', { min: 0, integer: true });
  c.num(o, 'validationLoss', { min: 0 });
  o.validationPerplexity = c.num(o, 'validationPerplexity', { min: 1, infinite: true });
  c.num(o, 'trainSeconds', { min: 0 });
  c.str(o, 'backend');
  if (o.threads !== undefined) c.num(o, 'threads', { min: 1, integer: true });
  c.str(o, 'randomSource', ['seeded', 'secure']);
  c.num(o, 'log2R', { min: 0 });
  const canaries = c.arr(o, 'canaries').map((x) => validateCanary(c, x));
  const names = new Set(canaries.map((k) => k.name));
  if (names.size !== canaries.length) c.fail('canary names must be unique');
  for (const e of c.arr(o, 'exposureByEpoch')) {
    const eo = c.obj(e, 'an epoch exposure');
    c.num(eo, 'epoch', { min: 1, integer: true });
    const ex = c.obj(eo.exposure, '"exposure"');
    for (const k of Object.keys(ex)) c.num(ex, k);
    if (eo.exposureMethod !== undefined) c.str(eo, 'exposureMethod', ['exact', 'interpolation', 'extrapolation']);
    for (const k of ['trainLoss', 'validationLoss']) if (eo[k] !== undefined) c.num(eo, k, { min: 0 });
  }
  if (o.sanitizedLines !== undefined) c.num(o, 'sanitizedLines', { min: 0, integer: true });
  if (o.startingPoint !== undefined) c.str(o, 'startingPoint');
  if (o.mode !== undefined) c.str(o, 'mode', ['scratch', 'fine-tune', 'public']);
  if (o.recipe !== undefined) {
    const r = c.obj(o.recipe, '"recipe"');
    for (const k of ['batchSize', 'learningRate', 'epochs', 'clip']) c.num(r, k, { min: 0 });
  }
  if (o.privacyUnit !== undefined) c.str(o, 'privacyUnit', PRIVACY_UNITS);
  if (o.trainUnits !== undefined) c.num(o, 'trainUnits', { min: 0, integer: true });
  if (o.groupPrivacy !== undefined) {
    const g = c.obj(o.groupPrivacy, '"groupPrivacy"');
    c.str(g, 'unit', ['document', 'user']);
    c.str(g, 'key');
    c.num(g, 'windows', { min: 1, integer: true });
    c.num(g, 'epsilon', { min: 0 });
    if (g.delta !== null) c.num(g, 'delta', { min: 0 });
  }
  if (o.audit !== undefined) {
    const a = c.obj(o.audit, '"audit"');
    for (const k of POINT_AUDIT_FIELDS) c.num(a, k, { min: 0 });
  }
  if (o.naturalSecrets !== undefined) {
    for (const x of c.arr(o, 'naturalSecrets')) {
      const n = c.obj(x, 'a natural secret');
      c.str(n, 'kind');
      c.str(n, 'text');
      for (const k of ['occurrences', 'documents', 'users']) c.num(n, k, { min: 0, integer: true });
      c.num(n, 'spaceBits', { min: 0 });
      if (n.exposure !== null) c.num(n, 'exposure', { min: 0 });
      c.bool(n, 'estimated');
      c.bool(n, 'extracted');
    }
  }
  return o as unknown as PointResult;
}

/** JSON text with keys sorted, for comparing two values regardless of key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Obj).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}
