import { parseFormat, spaceSize } from '../../canary/format.js';
import { closeSecretModel, sampleSecrets, scoreSecrets } from '../../canary/secret-model.js';
import { initBackend } from '../../dpsgd/backend.js';
import { evaluate } from '../../dpsgd/evaluate.js';
import { LanguageModel } from '../../dpsgd/model.js';
import { train } from '../../dpsgd/trainer.js';
import { EPOCH_MAX_EXACT_SPACE, openForManifest, RUN_MAX_EXACT_SPACE } from '../../pipeline/measure.js';
import type { RunConfig } from '../../pipeline/run-config.js';
import { dataKey } from '../../pipeline/run-config.js';
import { prepareRunData, type RunData } from '../../pipeline/run-data.js';
import { modelConfigOf } from '../../pipeline/train-run.js';
import type { RandomSource } from '../../util/random.js';
import type { StudyPoint } from '../types.js';

/**
 * Sizing a study for a batch scheduler: each point's wall time ESTIMATED from times measured
 * here, on one thread of this machine, for a few training steps and scorings of each kind of
 * model the study trains, times the work the point plans (its steps, evaluations, exposure
 * scorings and the extraction budget). It is meant for choosing a time limit, not as a result.
 */

/** The measured rates of one kind of model (shape and privacy). */
interface Rates {
  /** Seconds of training per example in a logical batch (forward, backward, clipping when private). */
  trainPerExample: number;
  /** Seconds to evaluate one validation window. */
  evalPerWindow: number;
  /** Seconds per row advanced when scoring secrets (one model query). */
  scorePerRow: number;
}

/** A point's estimated wall time, in seconds, and what it is made of. */
export interface PointEstimate {
  id: string;
  /** Planned optimizer steps (ceil(epochs / q), q = batch size / training windows). */
  steps: number;
  /** The task's start: dp-canary's start-up (`startupSeconds`) and preparing its data, twice (the check before the run, then the run). */
  setupSeconds: number;
  /** Training steps and each epoch's validation loss. */
  trainSeconds: number;
  /** Exposure after each epoch (when the study measures it), final exposure and the extraction search at its full query budget. */
  measureSeconds: number;
  totalSeconds: number;
}

function modelKey(config: RunConfig, vocabSize: number): string {
  const m = modelConfigOf(config, vocabSize);
  // Dropout and weight decay cost next to nothing; the shape and DP's per-example work do.
  return JSON.stringify([m.vocabSize, m.embeddingDim, m.hiddenSize, m.layers, m.cell, m.heads, m.ffnSize, config.seqLength, config.mitigation === 'dp', config.physicalBatchSize]);
}

const now = (): number => performance.now() / 1000;

/** Seconds of the second call of `f` (the first one compiles kernels and grows memory for its shapes). */
async function timed(f: () => Promise<void> | void): Promise<number> {
  await f();
  const t0 = now();
  await f();
  return now() - t0;
}

// Workloads of the measurements: small enough that a dry run of the paper preset takes seconds,
// large enough that per-call overheads do not dominate (what remains of them makes the estimate longer, not shorter).
const TRAIN_EXAMPLES = 32;
const EVAL_WINDOWS = 32;
const SCORED_SECRETS = 256;

async function measureRates(config: RunConfig, data: RunData, random: RandomSource): Promise<Rates> {
  const model = LanguageModel.create(modelConfigOf(config, data.tokenizer.vocabSize), random);
  try {
    // Two steps, each one logical batch of all n examples (q = 1 over n windows); the second is
    // timed, so the first use of each kernel and of the run's setup is not counted.
    const n = Math.max(1, Math.min(config.batchSize, config.physicalBatchSize ?? Infinity, TRAIN_EXAMPLES, data.train.length));
    const stepEnds: number[] = [];
    await train({
      model,
      examples: data.train.slice(0, n),
      privacy: config.mitigation === 'dp' ? { kind: 'dp', clipNorm: config.clip, noise: { multiplier: 1 } } : { kind: 'none' },
      sampling: { rate: 1 },
      length: { steps: 2 },
      physicalBatchSize: config.physicalBatchSize ?? Infinity,
      delta: config.delta,
      optimizer: { name: config.optimizer, learningRate: config.learningRate },
      seed: 'estimate',
      onStep: () => void stepEnds.push(now()),
      warn: () => undefined, // a throwaway run: its seeded-noise warning is not the user's concern
    });
    const trainPerExample = (stepEnds[1]! - stepEnds[0]!) / n;
    const windows = data.validation.slice(0, EVAL_WINDOWS);
    const evalPerWindow = windows.length > 0 ? (await timed(() => void evaluate(model, windows))) / windows.length : 0;
    const { sm, format } = await openForManifest(model, data.tokenizer, data.manifest);
    try {
      const secrets = sampleSecrets(random, format.alphabet.length, format.length, SCORED_SECRETS);
      let rows = 0;
      const t = await timed(async () => {
        const before = sm.rowsAdvanced;
        await scoreSecrets(sm, secrets);
        rows = sm.rowsAdvanced - before;
      });
      return { trainPerExample, evalPerWindow, scorePerRow: t / Math.max(1, rows) };
    } finally {
      closeSecretModel(sm);
    }
  } finally {
    model.dispose();
  }
}

/** Rows advanced to score every secret of a format of alphabet size A and length L (A + A^2 + ... + A^(L-1)). */
function enumerationRows(A: number, L: number): number {
  let rows = 0;
  for (let d = 1; d < L; d++) rows += A ** d;
  return rows;
}

/** The model queries a point's exposure and extraction plan, per epoch and at the end. */
function plannedRows(config: RunConfig, canaries: number, epochs: number): number {
  const format = parseFormat(config.canaryFormat);
  const A = format.alphabet.length;
  const L = format.length;
  const R = spaceSize(format);
  const refs = config.exposureReferences;
  const finalExact = R <= BigInt(Math.floor(config.maxExactSpace ?? RUN_MAX_EXACT_SPACE));
  const final = (canaries + refs) * (L - 1) + (finalExact ? enumerationRows(A, L) : 0) + config.extractionMaxQueries;
  if (!config.exposureEachEpoch || config.mode === 'public') return final;
  const perEpoch = R <= BigInt(EPOCH_MAX_EXACT_SPACE) ? enumerationRows(A, L) : (Math.min(refs, 2000) + canaries) * (L - 1);
  return final + Math.ceil(epochs) * perEpoch;
}

/**
 * Estimate every point's wall time on one thread of this machine (see the module comment).
 * Points that share a data set and a kind of model share one measurement, so a study with
 * many seeds or epsilons costs a few measurements, not one per point. `random` initialises the
 * throwaway models and draws the sample secrets.
 */
export async function estimatePoints(
  points: readonly StudyPoint[],
  random: RandomSource,
  o: { startupSeconds?: number; log?: (m: string) => void } = {},
): Promise<PointEstimate[]> {
  const log = o.log ?? (() => undefined);
  await initBackend(); // the backend the points will train on (as trainRun picks it), not tfjs's default
  const dataCache = new Map<string, RunData>();
  const prepSeconds = new Map<string, number>();
  const prepared = (key: string, config: RunConfig): RunData => {
    if (!dataCache.has(key)) {
      const t0 = now();
      dataCache.set(key, prepareRunData(config));
      prepSeconds.set(key, now() - t0);
    }
    return dataCache.get(key)!;
  };
  const rateCache = new Map<string, Rates>();
  const out: PointEstimate[] = [];
  for (const point of points) {
    const { id, ...config } = point;
    const privateKey = `private ${dataKey(config)}`;
    const privateData = (): RunData => prepared(privateKey, { ...config, mode: config.mode === 'public' ? 'scratch' : config.mode });
    // The public model trains on the public text but is measured on the private part's canaries.
    const trainKey = `${config.mode === 'public' ? 'public' : 'private'} ${dataKey(config)}`;
    const data = prepared(trainKey, config);
    const mk = modelKey(config, data.tokenizer.vocabSize);
    if (!rateCache.has(mk)) {
      log(`timing a ${config.layers}x${config.hiddenSize} ${config.cell}${config.mitigation === 'dp' ? ' (DP-SGD)' : ''} ...`);
      rateCache.set(mk, await measureRates(config, privateData(), random));
    }
    const r = rateCache.get(mk)!;
    const q = Math.min(1, config.batchSize / data.samplingPopulation);
    const steps = Math.ceil(config.epochs / q);
    const expectedBatch = q * data.samplingPopulation;
    // Validation loss after every epoch on the training text's held-out part, and once at the end on the private one.
    const evaluatedWindows = Math.ceil(config.epochs) * data.validation.length + privateData().validation.length;
    const trainSeconds = steps * expectedBatch * r.trainPerExample + evaluatedWindows * r.evalPerWindow;
    const measureSeconds = plannedRows(config, privateData().manifest.canaries.length, config.epochs) * r.scorePerRow;
    privateData();
    const setupSeconds = (o.startupSeconds ?? 0) + 2 * prepSeconds.get(trainKey)! + (trainKey === privateKey ? 0 : prepSeconds.get(privateKey)!);
    out.push({ id, steps, setupSeconds, trainSeconds, measureSeconds, totalSeconds: setupSeconds + trainSeconds + measureSeconds });
  }
  return out;
}
