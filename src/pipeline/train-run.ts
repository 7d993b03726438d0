import { existsSync, readFileSync } from 'node:fs';
import { initBackend, type BackendName } from '../dpsgd/backend.js';
import { modelFromJson, saveModel } from '../dpsgd/model-io.js';
import { loadCheckpoint } from '../dpsgd/checkpoint.js';
import { LanguageModel, type LanguageModelConfig } from '../dpsgd/model.js';
import { evaluate } from '../dpsgd/evaluate.js';
import { train, type StepReport } from '../dpsgd/trainer.js';
import { manifestToJson } from '../canary/manifest.js';
import { ledgerEpsilon, PrivacyLedger, type AccountantName } from '../accountant/index.js';
import { runLength } from '../dpsgd/run-plan.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic-write.js';
import { InvalidArgumentError } from '../util/errors.js';
import { toPrettyJson } from '../util/json.js';
import { secureRandom, seededRandom } from '../util/random.js';
import type { RunConfig } from './run-config.js';
import { prepareRunData, type RunData } from './run-data.js';
import { checkCanariesFitTransformer } from './transformer-fit.js';
import { readRunRecord, runPath, type RunRecord } from './run-folder.js';
import { localEngine } from '../dpsgd/gradient-engine.js';
import type { ParallelSession } from '../dpsgd/parallel/session.js';
import { epochExposureProbe, type EpochProbe, type ExposureMethod } from './measure.js';
import { readEpochProgress, writeEpochProgress } from './epoch-progress.js';
import { loadStartingPoint, type StartingPoint, type StartingPointRecord } from './starting-point.js';
import { groupPrivacy, resolveUnits, type GroupPrivacy, type LargestUnit } from './units.js';
import type { PrivacyUnit } from '../data/units.js';

/** One epoch's figures. */
export interface EpochRecord {
  /** 1-based. */
  epoch: number;
  step: number;
  /** Mean validation cross-entropy, nats per token. */
  validationLoss: number;
  /** Epsilon spent so far (Infinity for non-private runs). */
  epsilon: number;
  /** Mean training cross-entropy over this epoch's steps, nats per token (noise-free; for monitoring, not covered by DP). */
  trainLoss?: number;
  /** Exposure (bits) of each canary after this epoch, by name (empty when not measured). */
  exposure: Record<string, number>;
  /** How `exposure` was computed: exact, or extrapolated when |R| is too large (absent when not measured). */
  exposureMethod?: ExposureMethod;
}

/** metrics.json of a finished run. */
export interface RunMetrics {
  schema: 'dp-canary/metrics@1';
  private: boolean;
  /** What epsilon is per: one training window, one document or one user (absent in older runs: window). */
  privacyUnit: PrivacyUnit;
  /** Epsilon (nats) at `delta` per privacy unit; Infinity for non-private runs. */
  epsilon: number;
  delta: number;
  /** RDP order at which epsilon was attained (null for non-private runs). */
  order: number | null;
  /**
   * Epsilon (nats) at `delta` from the PLD accountant (tighter than the RDP `epsilon`); Infinity
   * for non-private runs. Where the PLD cannot certify a figure it is the RDP one (see epsilonPldDetail).
   */
  epsilonPld: number;
  /** Which bound epsilonPld is ('pld', or 'rdp' on fallback), its PLD grid (nats) and any caveat. */
  epsilonPldDetail: { accountant: 'pld' | 'rdp'; interval: number | null; note: string | null };
  /** The accountant that calibrated --target-epsilon and enforced the budget (null: non-private). */
  budgetAccountant: AccountantName | null;
  noiseMultiplier: number;
  samplingRate: number;
  clipNorm: number;
  steps: number;
  stopReason: 'completed' | 'epsilon-budget';
  /** Examples left out of their step because their loss or gradient was not finite (--non-finite skip). */
  skippedExamples: number;
  /** Training windows. */
  trainExamples: number;
  /** Runs whose data is grouped by unit: training units (documents or users) with at least one window. */
  trainUnits?: number;
  /** Unit runs: the most windows of one unit in one step (m). */
  unitWindows?: number;
  /** The document or user with the most training windows, when the corpus tells. */
  largestUnit?: LargestUnit;
  /**
   * Private window-level runs with a largestUnit: what the per-window guarantee gives that unit
   * by group privacy ((k eps, delta_k), delta null when >= 1: no guarantee).
   */
  groupPrivacy?: GroupPrivacy;
  validationExamples: number;
  /** Mean validation cross-entropy, nats per token; perplexity = exp(loss). */
  validationLoss: number;
  validationPerplexity: number;
  trainSeconds: number;
  backend: string;
  /** The most threads that computed gradients or exposure at once (1: the run's own; more: data-parallel worker threads). */
  threads?: number;
  randomSource: 'seeded' | 'secure';
  sanitizedLines: number;
  /** The run this one was fine-tuned from (train --init-from), when any. */
  startingPoint?: StartingPointRecord;
  epochs: EpochRecord[];
}

export interface TrainRunHooks {
  onStep?: (r: StepReport) => void;
  onEpoch?: (e: EpochRecord) => void;
  /** One-line messages (warnings, phase changes). */
  log?: (message: string) => void;
  /** tfjs backend to force (default: fastest available). */
  backend?: BackendName;
  /** Continue from the folder's checkpoint. */
  resume?: boolean;
  /** Measure estimated exposure after each epoch (default: config.exposureEachEpoch). */
  exposureEachEpoch?: boolean;
  /**
   * Worker threads for the gradients and the exact per-epoch exposure (data-parallel; the
   * caller closes the session, and may reuse it for measureRun). Default: this thread only.
   */
  parallel?: ParallelSession;
}

/** Model shape of a run. */
export function modelConfigOf(c: RunConfig, vocabSize: number): LanguageModelConfig {
  const base = { vocabSize, embeddingDim: c.embeddingDim, hiddenSize: c.hiddenSize, layers: c.layers, cell: c.cell, dropout: c.dropout };
  // A transformer's position table covers the run's windows.
  return c.cell === 'transformer' ? { ...base, heads: c.heads, ffnSize: c.ffnSize, maxLength: c.seqLength } : base;
}

/**
 * Epoch records of an interrupted run that its checkpoint already covers. Records written after
 * the checkpoint belong to steps that will run again (with other noise, in a secure run).
 */
function historyUpToCheckpoint(dir: string): EpochRecord[] {
  const hp = runPath(dir, 'history');
  const cp = runPath(dir, 'checkpoint');
  if (!existsSync(hp) || !existsSync(cp)) return [];
  const step = loadCheckpoint(cp).step;
  try {
    const records = JSON.parse(readFileSync(hp, 'utf8')) as EpochRecord[];
    if (!Array.isArray(records)) return [];
    // "Infinity" (a non-private run's epsilon) was written as a string.
    return records
      .filter((e) => typeof e?.step === 'number' && e.step <= step)
      .map((e) => ({ ...e, epsilon: Number(e.epsilon) }));
  } catch {
    return []; // a damaged history only costs the per-epoch table, never the run
  }
}

/** A transformer run's heads, FFN width and position-table size (maxLength = its --seq-length); nothing for a recurrent run. */
function transformerShapeOf(c: RunConfig): { heads?: number; ffnSize?: number; maxLength?: number } {
  return c.cell === 'transformer' ? { heads: c.heads, ffnSize: c.ffnSize, maxLength: c.seqLength } : {};
}

/** The run's model shape must be the starting model's (InvalidArgumentError naming the first difference). */
function checkStartingShape(config: RunConfig, start: StartingPoint): void {
  const have = start.model.config;
  const want = { embeddingDim: config.embeddingDim, hiddenSize: config.hiddenSize, layers: config.layers, cell: config.cell, ...transformerShapeOf(config) };
  for (const [k, v] of Object.entries(want)) {
    const h = have[k as keyof typeof want];
    if (h !== v) {
      start.model.dispose();
      throw new InvalidArgumentError(`--init-from ${start.record.run}: its model has ${k} ${String(h)}, this run asks for ${String(v)}`);
    }
  }
}

function checkResumable(dir: string, record: RunRecord): void {
  if (JSON.stringify(readRunRecord(dir).config) !== JSON.stringify(record.config)) {
    throw new InvalidArgumentError(`cannot resume ${dir}: it was started with other settings (see its run.json)`);
  }
}

/**
 * Train one model as `config` says, into the folder `dir` (see run-folder.ts for its files),
 * and return its metrics. Canary exposure at the end is measured separately (measureRun).
 * With hooks.resume, continue from dir/checkpoint.json; the privacy ledger carries over.
 */
export async function trainRun(config: RunConfig, dir: string, hooks: TrainRunHooks = {}): Promise<{ metrics: RunMetrics; data: RunData; model: LanguageModel }> {
  const log = hooks.log ?? (() => undefined);
  const backend = await initBackend(hooks.backend);
  const start: StartingPoint | null = config.initFrom !== undefined ? loadStartingPoint(config.initFrom) : null;
  if (start) checkStartingShape(config, start);
  const units = resolveUnits(config);
  // Ledgers of different units do not compose (a per-window epsilon says nothing per user).
  if (start?.ledger && config.mitigation === 'dp' && (start.record.privacyUnit ?? 'window') !== units.privacyUnit) {
    start.model.dispose();
    throw new InvalidArgumentError(
      `--init-from ${start.record.run}: its epsilon is per ${start.record.privacyUnit ?? 'window'}, this run's per ${units.privacyUnit}; a private starting run must use the same privacy unit`,
    );
  }
  const data = prepareRunData(config, start?.tokenizer);
  try {
    checkCanariesFitTransformer(config, data);
  } catch (e) {
    start?.model.dispose();
    throw e;
  }
  const isPrivate = config.mitigation === 'dp';
  const unitRun = units.privacyUnit !== 'window' && data.units ? data.units : null;
  const randomSource = config.secureRandom ? 'secure' : 'seeded';
  const record: RunRecord = { schema: 'dp-canary/run@1', config, backend: backend.name, randomSource };
  if (hooks.resume) checkResumable(dir, record);
  writeJsonAtomic(runPath(dir, 'run'), record);
  writeJsonAtomic(runPath(dir, 'tokenizer'), data.tokenizer.toJSON());
  writeFileAtomic(runPath(dir, 'manifest'), manifestToJson(data.manifest));

  let model: LanguageModel;
  if (start) {
    // The starting weights, under this run's config (its dropout rate may differ).
    model = LanguageModel.fromWeights(modelConfigOf(config, data.tokenizer.vocabSize), start.model.weights());
    start.model.dispose();
  } else {
    const init = config.secureRandom ? secureRandom() : seededRandom(config.seed).fork('init');
    model = LanguageModel.create(modelConfigOf(config, data.tokenizer.vocabSize), init);
  }
  const N = data.train.length;
  // With audit canaries the rate comes from a count that does not depend on their coin flips.
  // In unit runs the population is the units: q = expected units per step / units.
  const q = config.samplingRate ?? config.batchSize / data.samplingPopulation;
  if (!(q > 0 && q <= 1)) {
    const what = unitRun ? `${unitRun.keys.length} training ${units.privacyUnit}s` : `${N} training windows`;
    throw new InvalidArgumentError(`the sampling rate must be in (0, 1]; batch size ${config.batchSize} over ${what} gives ${q}`);
  }
  // The trainer's count for these epochs (run-plan.ts), so the epoch records fall where its steps do.
  const { stepsPerEpoch, totalSteps } = runLength(q, { epochs: config.epochs });
  const eachEpoch = hooks.exposureEachEpoch ?? config.exposureEachEpoch;
  // Rows per step, for the thread count: at most m windows of each expected unit.
  const expectedRows = unitRun ? q * unitRun.keys.length * Math.min(units.unitWindows, data.largestUnit?.windows ?? 1) : q * N;
  const engine = hooks.parallel ? hooks.parallel.engineFor(model.config, data.train, expectedRows) : localEngine;
  const probe: EpochProbe | null = eachEpoch ? await epochExposureProbe(model, data, config, hooks.parallel?.enumeratorFor(model.config)) : null;
  const epochs: EpochRecord[] = hooks.resume ? historyUpToCheckpoint(dir) : [];

  // Training loss of the current epoch, accumulated from the steps' (noise-free) batch losses.
  let epochLossSum = 0;
  let epochTokens = 0;
  const checkpointEvery = Math.max(1, Math.min(50, stepsPerEpoch));
  const recordEpoch = async (step: number, epsilon: number): Promise<void> => {
    const epoch = Math.ceil(step / stepsPerEpoch);
    const trainLoss = epochTokens > 0 ? epochLossSum / epochTokens : NaN;
    epochLossSum = 0;
    epochTokens = 0;
    if (epochs.some((e) => e.epoch === epoch)) return;
    const validationLoss = evaluate(model, data.validation).loss;
    const probed = probe ? await probe.measure() : null;
    const e: EpochRecord = {
      epoch, step, validationLoss, epsilon,
      ...(Number.isFinite(trainLoss) ? { trainLoss } : {}),
      exposure: probed ? probed.exposure : {},
      ...(probed ? { exposureMethod: probed.method } : {}),
    };
    epochs.push(e);
    writeFileAtomic(runPath(dir, 'history'), toPrettyJson(epochs));
    hooks.onEpoch?.(e);
  };
  if (hooks.resume && existsSync(runPath(dir, 'checkpoint'))) {
    // A run killed after a checkpoint: restore the epoch's loss sums, and write the record of an
    // epoch whose end was checkpointed but not yet recorded (with the checkpoint's weights).
    const ck = loadCheckpoint(runPath(dir, 'checkpoint'));
    const saved = readEpochProgress(dir);
    const epochEnd = ck.step % stepsPerEpoch === 0 || ck.step === totalSteps;
    if (saved && saved.step === ck.step) {
      epochLossSum = saved.lossSum;
      epochTokens = saved.tokens;
      if (epochEnd) {
        const weights = modelFromJson(ck.model);
        model.setWeights(weights.weights());
        weights.dispose();
        await recordEpoch(ck.step, saved.epsilon);
      }
    } else if (ck.step > 0 && !(epochEnd && epochs.some((e) => e.step === ck.step))) {
      log(`resuming at step ${ck.step} without its progress.json: epoch ${Math.ceil(ck.step / stepsPerEpoch)}'s training loss counts only the steps from here${epochEnd ? ', and its record is lost' : ''}`);
    }
  }
  const t0 = performance.now();
  const result = await train({
    model,
    examples: data.train,
    ...(unitRun ? { units: { ids: unitRun.ids, windowsPerStep: units.unitWindows } } : {}),
    engine,
    privacy: isPrivate
      ? {
          kind: 'dp',
          clipNorm: config.clip,
          // A config with neither reaches train's run-time check, which says to give one.
          noise: config.noiseMultiplier !== undefined ? { multiplier: config.noiseMultiplier } : { targetEpsilon: config.targetEpsilon as number },
          ...(config.accountant === 'pld' ? { accountant: 'pld' as const } : {}),
          ...(start?.ledger ? { priorLedger: start.ledger } : {}),
        }
      : { kind: 'none' },
    sampling: { rate: q },
    physicalBatchSize: config.physicalBatchSize ?? Infinity,
    length: { epochs: config.epochs },
    delta: config.delta,
    optimizer: { name: config.optimizer, learningRate: config.learningRate, weightDecay: config.weightDecay },
    ...(config.secureRandom ? {} : { seed: `${config.seed}` }),
    checkpointPath: runPath(dir, 'checkpoint'),
    checkpointEvery,
    resume: hooks.resume ?? false,
    ...(config.nonFinite ? { nonFinite: config.nonFinite } : {}),
    warn: log,
    onStep: async (r) => {
      if (r.tokens > 0) {
        epochLossSum += r.loss * r.tokens;
        epochTokens += r.tokens;
      }
      // The trainer has just written this step's checkpoint: save what a resume needs beside it.
      if (r.step % checkpointEvery === 0 || r.step === r.totalSteps) writeEpochProgress(dir, { step: r.step, lossSum: epochLossSum, tokens: epochTokens, epsilon: r.epsilon });
      hooks.onStep?.(r);
      if (r.step % stepsPerEpoch === 0 || r.step === r.totalSteps) await recordEpoch(r.step, r.epsilon);
    },
  });
  const trainSeconds = (performance.now() - t0) / 1000;
  if (result.stopReason === 'epsilon-budget') log(`stopped after ${result.steps} steps: another step would exceed the epsilon budget`);
  if (result.skippedExamples > 0) log(`skipped ${result.skippedExamples} example(s) whose loss or gradient was not finite (--non-finite skip); each contributed zero to its step`);

  saveModel(runPath(dir, 'model'), model, { tokenizer: RUN_TOKENIZER_NOTE });
  const eps = result.ledger ? ledgerEpsilon(result.ledger, result.delta) : null;
  // The PLD accountant's figure beside RDP's (the run was budgeted with config.accountant, RDP by default).
  const ledger = result.ledger ?? PrivacyLedger.nonPrivate();
  const pld = ledgerEpsilon(ledger, result.delta, 'pld');
  const pldDetail = { accountant: pld.accountant, interval: pld.interval ?? null, note: pld.note ?? null };
  writeJsonAtomic(runPath(dir, 'ledger'), {
    schema: 'dp-canary/ledger@2',
    // Events only (DpEvent values); a non-private run records one non-private event.
    ledger: ledger.toJSON(),
    delta: result.delta,
    // JSON has no Infinity: a non-private run's epsilon is the string "Infinity".
    epsilon: eps ? eps.epsilon : 'Infinity',
    order: eps ? (eps.order ?? null) : null,
    epsilonPld: Number.isFinite(pld.epsilon) ? pld.epsilon : 'Infinity',
    epsilonPldDetail: pldDetail,
    privacyUnit: units.privacyUnit,
    adjacency: unitRun ? `add/remove one ${units.privacyUnit} (all its training windows; at most ${units.unitWindows} of them in one step)` : 'add/remove one training window',
    sampling: 'Poisson',
    ...(start ? { startingPoint: start.record } : {}),
  });
  // The last epoch record was evaluated on these very weights; evaluate only if it is older.
  const last = epochs[epochs.length - 1];
  const validationLoss = last && last.step === result.steps ? last.validationLoss : evaluate(model, data.validation).loss;
  const group = isPrivate && !unitRun && data.largestUnit && eps ? groupPrivacy(eps.epsilon, result.delta, data.largestUnit) : null;
  const metrics: RunMetrics = {
    schema: 'dp-canary/metrics@1',
    private: isPrivate,
    privacyUnit: units.privacyUnit,
    epsilon: eps ? eps.epsilon : Infinity,
    delta: result.delta,
    order: eps ? (eps.order ?? null) : null,
    epsilonPld: pld.epsilon,
    epsilonPldDetail: pldDetail,
    budgetAccountant: isPrivate ? (config.accountant ?? 'rdp') : null,
    noiseMultiplier: result.noiseMultiplier,
    samplingRate: result.samplingRate,
    clipNorm: result.clipNorm,
    steps: result.steps,
    stopReason: result.stopReason,
    skippedExamples: result.skippedExamples,
    trainExamples: N,
    ...(data.units ? { trainUnits: data.units.keys.length } : {}),
    ...(unitRun ? { unitWindows: units.unitWindows } : {}),
    ...(data.largestUnit ? { largestUnit: data.largestUnit } : {}),
    ...(group ? { groupPrivacy: group } : {}),
    validationExamples: data.validation.length,
    validationLoss,
    validationPerplexity: Math.exp(validationLoss),
    trainSeconds,
    backend: backend.name,
    threads: hooks.parallel?.mostThreads ?? 1,
    randomSource: result.randomKind,
    sanitizedLines: data.sanitizedLines,
    ...(start ? { startingPoint: start.record } : {}),
    epochs,
  };
  writeFileAtomic(runPath(dir, 'metrics'), toPrettyJson(metrics));
  return { metrics, data, model };
}

const RUN_TOKENIZER_NOTE = 'token ids follow tokenizer.json in the same folder';

