import { DEFAULT_AUDIT_FORMAT, plantAuditCanaries } from '../audit/plant.js';
import { parseFormat, type CanaryFormat } from '../canary/format.js';
import { generateCanaries } from '../canary/generate.js';
import { insertCanaries } from '../canary/insert.js';
import type { CanaryManifest } from '../canary/manifest.js';
import { canaryTokens } from '../canary/tokens.js';
import { prepareData, tokenizerFor } from '../data/prepare.js';
import type { DocumentUnit } from '../data/units.js';
import { assignUsers } from '../data/users.js';
import { largestOfUnits, largestUnitInStream, prepareUnitText, unitTrainingWindows, unitValidationWindows, type WindowUnits } from './unit-data.js';
import { resolveUnits, type LargestUnit } from './units.js';
import { sanitizeLines } from '../data/sanitize.js';
import { loadBrownCorpus, loadBrownPublicPart } from '../data/brown.js';
import type { Corpus, CorpusDocument } from '../data/corpus.js';
import { loadCorpus } from '../data/text-corpus.js';
import { linesToTokens } from '../data/tokenizer-json.js';
import type { Tokenizer } from '../data/tokenizer.js';
import { makeWindows } from '../dpsgd/data.js';
import { InvalidArgumentError } from '../util/errors.js';
import { secureRandom, seededRandom } from '../util/random.js';
import type { RunConfig } from './run-config.js';

/** A run's training and validation examples, with the canaries that were planted. */
export interface RunData {
  tokenizer: Tokenizer;
  format: CanaryFormat;
  manifest: CanaryManifest;
  /** Training windows of seqLength+1 token ids (the DP privacy unit is one window). */
  train: Int32Array[];
  /**
   * Number of windows the Poisson sampling rate is computed from (q = batchSize / this): the
   * corpus windows plus the EXPECTED audit windows, so q does not depend on which audit
   * canaries were drawn in (a data-dependent q would break the audit's neighbouring relation).
   * Equals train.length when there is no audit.
   */
  samplingPopulation: number;
  /** Validation windows (never hold a canary). */
  validation: Int32Array[];
  /** Training lines removed by sanitisation (0 unless mitigation is 'sanitize'). */
  sanitizedLines: number;
  /** Characters of corpus text used. */
  corpusChars: number;
  /** Runs with a data unit: the unit of each training window (see unit-data.ts). */
  units?: WindowUnits;
  /**
   * The document or user with the most training windows, when the corpus tells: the group a
   * window-level guarantee must cover for it. Absent for corpora without documents.
   */
  largestUnit?: LargestUnit;
  /** Runs with a data unit: the training documents as the corpus has them (no canaries), for the natural-secret test. */
  trainDocuments?: readonly CorpusDocument[];
}

/**
 * Load the corpus, split it (seeded by dataSeed, so all points of a study share the split),
 * draw canaries (seeded by dataSeed, or node:crypto when secureRandom), insert them into the
 * training lines only, sanitise when asked (after insertion, as a data curator would), and cut
 * both parts into windows.
 */
export function prepareRunData(c: RunConfig, useTokenizer?: Tokenizer): RunData {
  if (c.mode === 'public') return preparePublicData(c);
  const { dataUnit } = resolveUnits(c);
  if (dataUnit) return prepareUnitRunData(c, dataUnit, useTokenizer);
  const format = parseFormat(c.canaryFormat);
  const auditCount = c.auditCanaries ?? 0;
  if (!Number.isSafeInteger(auditCount) || auditCount < 0) throw new InvalidArgumentError(`the number of audit canaries must be an integer >= 0, got ${auditCount}`);
  const auditFormat = auditCount > 0 ? parseFormat(c.auditFormat ?? DEFAULT_AUDIT_FORMAT) : null;
  if (auditFormat && auditFormat.template === format.template) {
    throw new InvalidArgumentError('the audit canaries need a format of their own (--audit-format differs from --canary-format)');
  }
  const data = prepareData(
    {
      corpus: c.corpus,
      corpusMaxChars: c.corpusMaxChars,
      validationFraction: c.validationFraction,
      tokenizer: c.tokenizer,
      lowercase: c.lowercase,
      maxVocab: c.maxVocab,
      requiredText: [format.prefix, format.suffix, format.alphabet.join(''), ...(auditFormat ? [auditFormat.prefix, auditFormat.suffix, auditFormat.alphabet.join('')] : [])],
      ...(useTokenizer ? { useTokenizer } : {}),
      corpusOverride: loadPrivateCorpus(c),
    },
    c.dataSeed,
  );
  // Fail early, before any training, if the tokenizer cannot represent the secrets.
  canaryTokens(format, data.tokenizer);
  const canaryRandom = c.secureRandom ? secureRandom() : seededRandom(c.dataSeed).fork('canaries');
  const canaries = generateCanaries(format, c.insertions, canaryRandom, { corpus: data.corpus.lines, namePrefix: 'canary' });
  const inserted = insertCanaries(data.train, format, canaries, canaryRandom.fork('insert'));
  let trainLines = inserted.corpus;
  let sanitizedLines = 0;
  if (c.mitigation === 'sanitize') {
    const s = sanitizeLines(trainLines, format);
    trainLines = s.kept;
    sanitizedLines = s.removed;
  }
  const train = makeWindows(linesToTokens(trainLines, data.tokenizer), c.seqLength);
  if (train.length === 0) {
    throw new InvalidArgumentError(`the training text is shorter than one sequence of ${c.seqLength + 1} tokens; use more text or a shorter --seq-length`);
  }
  const largestUnit = data.trainLineDocuments
    ? largestUnitInStream({
        corpus: data.corpus, lineDocuments: data.trainLineDocuments, lines: inserted.corpus, manifest: inserted.manifest, format,
        sanitize: c.mitigation === 'sanitize', tokenizer: data.tokenizer, seqLength: c.seqLength,
      })
    : undefined;
  let manifest = inserted.manifest;
  let samplingPopulation = train.length;
  if (auditFormat) {
    canaryTokens(auditFormat, data.tokenizer);
    const repeats = c.auditRepeats ?? 1;
    const auditRandom = c.secureRandom ? secureRandom() : seededRandom(c.dataSeed).fork('audit');
    const planted = plantAuditCanaries({
      format: auditFormat,
      count: auditCount,
      repeats,
      tokenizer: data.tokenizer,
      corpusLines: trainLines,
      seqLength: c.seqLength,
      firstWindow: train.length,
      random: auditRandom,
    });
    samplingPopulation = train.length + Math.round((auditCount * repeats) / 2);
    train.push(...planted.windows);
    manifest = { ...manifest, audit: planted.manifest };
  }
  const validation = makeWindows(linesToTokens(data.validation, data.tokenizer), c.seqLength);
  if (validation.length === 0) {
    throw new InvalidArgumentError(`the validation text is shorter than one sequence of ${c.seqLength + 1} tokens; use more text or a larger validation fraction`);
  }
  return {
    tokenizer: data.tokenizer,
    format,
    manifest,
    train,
    samplingPopulation,
    validation,
    sanitizedLines,
    corpusChars: data.corpus.chars,
    ...(largestUnit ? { largestUnit } : {}),
  };
}

/** The private corpus of a run, with users from --user-map or --user-pattern when given. */
function loadPrivateCorpus(c: RunConfig): Corpus {
  return assignUsers(loadCorpus({ corpus: c.corpus, maxChars: c.corpusMaxChars }), c);
}

/**
 * A run whose data is grouped by unit: the split by document, the tokenizer from the training
 * units, every copy of a canary in one unit (seeded by dataSeed, or node:crypto), sanitisation
 * when asked, and windows cut per unit (none spans two units).
 */
function prepareUnitRunData(c: RunConfig, unit: DocumentUnit, useTokenizer?: Tokenizer): RunData {
  const format = parseFormat(c.canaryFormat);
  const corpus = loadPrivateCorpus(c);
  const text = prepareUnitText({
    corpus, unit, validationFraction: c.validationFraction, splitRandom: seededRandom(c.dataSeed).fork('split'),
    tokenizerFor: (lines) => tokenizerFor({ ...c, requiredText: [format.prefix, format.suffix, format.alphabet.join('')], ...(useTokenizer ? { useTokenizer } : {}) }, lines),
  });
  canaryTokens(format, text.tokenizer);
  const canaryRandom = c.secureRandom ? secureRandom() : seededRandom(c.dataSeed).fork('canaries');
  const canaries = generateCanaries(format, c.insertions, canaryRandom, { corpus: corpus.lines, namePrefix: 'canary' });
  const t = unitTrainingWindows(text, { format, canaries, random: canaryRandom.fork('insert'), seqLength: c.seqLength, sanitize: c.mitigation === 'sanitize', kind: unit });
  if (t.windows.length === 0) {
    throw new InvalidArgumentError(`no training ${unit} holds a sequence of ${c.seqLength + 1} tokens; use more text or a shorter --seq-length`);
  }
  const validation = unitValidationWindows(text, c.seqLength);
  if (validation.length === 0) {
    throw new InvalidArgumentError(`no validation ${unit} holds a sequence of ${c.seqLength + 1} tokens; use more text or a larger validation fraction`);
  }
  const isUnitPrivate = (c.privacyUnit ?? 'window') !== 'window';
  return {
    tokenizer: text.tokenizer, format, manifest: t.manifest, train: t.windows,
    samplingPopulation: isUnitPrivate ? t.units.keys.length : t.windows.length,
    validation, sanitizedLines: t.sanitizedLines, corpusChars: corpus.chars, units: t.units, largestUnit: largestOfUnits(t.units),
    trainDocuments: text.trainDocuments,
  };
}

/** The public corpus of a study: Brown documents the private part does not use, or the user's text. */
export function loadPublicCorpus(c: RunConfig): Corpus {
  if (c.publicCorpus === 'brown') {
    return c.corpus === 'brown' ? loadBrownPublicPart(c.corpusMaxChars, c.publicCorpusChars) : loadBrownCorpus({ maxChars: c.publicCorpusChars });
  }
  // A text file or folder, or a mail corpus ('spam-assassin:spam', 'mail:DIR').
  return loadCorpus({ corpus: c.publicCorpus, maxChars: c.publicCorpusChars });
}

/**
 * Data of the study's public model: the public corpus split into training and validation lines,
 * a tokenizer built from its training lines (plus the canary format's symbols, which are public),
 * and no canaries at all.
 */
function preparePublicData(c: RunConfig): RunData {
  const format = parseFormat(c.canaryFormat);
  const data = prepareData(
    {
      corpus: c.publicCorpus,
      corpusMaxChars: c.publicCorpusChars,
      validationFraction: c.validationFraction,
      tokenizer: c.tokenizer,
      lowercase: c.lowercase,
      maxVocab: c.maxVocab,
      requiredText: [format.prefix, format.suffix, format.alphabet.join('')],
      corpusOverride: loadPublicCorpus(c),
    },
    c.dataSeed,
  );
  canaryTokens(format, data.tokenizer);
  const inserted = insertCanaries(data.train, format, [], seededRandom(c.dataSeed).fork('public'));
  const train = makeWindows(linesToTokens(inserted.corpus, data.tokenizer), c.seqLength);
  const validation = makeWindows(linesToTokens(data.validation, data.tokenizer), c.seqLength);
  if (train.length === 0 || validation.length === 0) {
    throw new InvalidArgumentError(`the public text is too short for training and validation windows of ${c.seqLength + 1} tokens`);
  }
  return {
    tokenizer: data.tokenizer, format, manifest: inserted.manifest, train, samplingPopulation: train.length, validation, sanitizedLines: 0, corpusChars: data.corpus.chars,
  };
}
