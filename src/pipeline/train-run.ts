import { existsSync, readFileSync } from 'node:fs';
import { initBackend, type BackendName } from '../dpsgd/backend.js';
import { saveModel } from '../dpsgd/model-io.js';
import { loadCheckpoint } from '../dpsgd/checkpoint.js';
import { LanguageModel, type LanguageModelConfig } from '../dpsgd/model.js';
import { evaluate } from '../dpsgd/evaluate.js';
import { train, type StepReport } from '../dpsgd/trainer.js';
import { manifestToJson } from '../canary/manifest.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic-write.js';
import { UserError } from '../util/errors.js';
import { toPrettyJson } from '../util/json.js';
import { secureRandom, seededRandom } from '../util/random.js';
import type { RunConfig } from './run-config.js';
import { prepareRunData, type RunData } from './run-data.js';
import { runPath, type RunRecord } from './run-folder.js';
import { epochExposureProbe, type EpochProbe } from './measure.js';

/** One epoch's figures. */
export interface EpochRecord {
  /** 1-based. */
  epoch: number;
  step: number;
  /** Mean validation cross-entropy, nats per token. */
  validationLoss: number;
  /** Epsilon spent so far (Infinity for non-private runs). */
  epsilon: number;
  /** Estimated exposure (bits) of each canary after this epoch, by name (interpolation over references). */
  exposure: Record<string, number>;
}

/** metrics.json of a finished run. */
export interface RunMetrics {
  schema: 'dp-canary/metrics@1';
  private: boolean;
  /** Epsilon (nats) at `delta`; Infinity for non-private runs. */
  epsilon: number;
  delta: number;
  /** RDP order at which epsilon was attained (null for non-private runs). */
  order: number | null;
  noiseMultiplier: number;
  samplingRate: number;
  clipNorm: number;
  steps: number;
  stopReason: 'completed' | 'epsilon-budget';
  trainExamples: number;
  validationExamples: number;
  /** Mean validation cross-entropy, nats per token; perplexity = exp(loss). */
  validationLoss: number;
  validationPerplexity: number;
  trainSeconds: number;
  backend: string;
  randomSource: 'seeded' | 'secure';
  sanitizedLines: number;
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
}

/** Model shape of a run. */
export function modelConfigOf(c: RunConfig, vocabSize: number): LanguageModelConfig {
  return { vocabSize, embeddingDim: c.embeddingDim, hiddenSize: c.hiddenSize, layers: c.layers, cell: c.cell, dropout: c.dropout };
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

function checkResumable(dir: string, record: RunRecord): void {
  const p = runPath(dir, 'run');
  if (!existsSync(p)) throw new UserError(`cannot resume: ${dir} holds no run (run.json is missing)`);
  let old: RunRecord;
  try {
    old = JSON.parse(readFileSync(p, 'utf8')) as RunRecord;
  } catch {
    throw new UserError(`cannot resume: ${p} is not valid JSON`);
  }
  if (JSON.stringify(old.config) !== JSON.stringify(record.config)) {
    throw new UserError(`cannot resume ${dir}: it was started with other settings (see its run.json)`);
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
  const data = prepareRunData(config);
  const isPrivate = config.mitigation === 'dp';
  const randomSource = config.secureRandom ? 'secure' : 'seeded';
  const record: RunRecord = { schema: 'dp-canary/run@1', config, backend: backend.name, randomSource };
  if (hooks.resume) checkResumable(dir, record);
  writeJsonAtomic(runPath(dir, 'run'), record);
  writeJsonAtomic(runPath(dir, 'tokenizer'), data.tokenizer.toJSON());
  writeFileAtomic(runPath(dir, 'manifest'), manifestToJson(data.manifest));

  const init = config.secureRandom ? secureRandom() : seededRandom(config.seed).fork('init');
  const model = LanguageModel.create(modelConfigOf(config, data.tokenizer.vocabSize), init);
  const N = data.train.length;
  // With audit canaries the rate comes from a count that does not depend on their coin flips.
  const q = config.samplingRate ?? config.batchSize / data.samplingPopulation;
  if (!(q > 0 && q <= 1)) {
    throw new UserError(`the sampling rate must be in (0, 1]; batch size ${config.batchSize} over ${N} training windows gives ${q}`);
  }
  const stepsPerEpoch = Math.ceil(1 / q);
  const eachEpoch = hooks.exposureEachEpoch ?? config.exposureEachEpoch;
  const probe: EpochProbe | null = eachEpoch ? await epochExposureProbe(model, data, config) : null;
  const epochs: EpochRecord[] = hooks.resume ? historyUpToCheckpoint(dir) : [];

  const t0 = performance.now();
  const result = await train({
    model,
    examples: data.train,
    private: isPrivate,
    ...(isPrivate
      ? {
          clipNorm: config.clip,
          ...(config.noiseMultiplier !== undefined ? { noiseMultiplier: config.noiseMultiplier } : { targetEpsilon: config.targetEpsilon }),
        }
      : {}),
    samplingRate: q,
    epochs: config.epochs,
    delta: config.delta,
    optimizer: { name: config.optimizer, learningRate: config.learningRate, weightDecay: config.weightDecay },
    ...(config.secureRandom ? {} : { seed: `${config.seed}` }),
    checkpointPath: runPath(dir, 'checkpoint'),
    checkpointEvery: Math.max(1, Math.min(50, stepsPerEpoch)),
    resume: hooks.resume ?? false,
    warn: log,
    onStep: async (r) => {
      hooks.onStep?.(r);
      if (r.step % stepsPerEpoch === 0 || r.step === r.totalSteps) {
        const epoch = Math.ceil(r.step / stepsPerEpoch);
        if (epochs.some((e) => e.epoch === epoch)) return;
        const validationLoss = evaluate(model, data.validation).loss;
        const exposure = probe ? await probe.measure() : {};
        const e: EpochRecord = { epoch, step: r.step, validationLoss, epsilon: r.epsilon, exposure };
        epochs.push(e);
        writeFileAtomic(runPath(dir, 'history'), toPrettyJson(epochs));
        hooks.onEpoch?.(e);
      }
    },
  });
  const trainSeconds = (performance.now() - t0) / 1000;
  if (result.stopReason === 'epsilon-budget') log(`stopped after ${result.steps} steps: another step would exceed the epsilon budget`);

  saveModel(runPath(dir, 'model'), model, { tokenizer: RUN_TOKENIZER_NOTE });
  const eps = result.ledger ? result.ledger.epsilon(result.delta) : null;
  writeJsonAtomic(runPath(dir, 'ledger'), {
    schema: 'dp-canary/ledger@1',
    ledger: result.ledger ? result.ledger.toJSON() : null,
    delta: result.delta,
    // JSON has no Infinity: a non-private run's epsilon is the string "Infinity".
    epsilon: eps ? eps.epsilon : 'Infinity',
    order: eps ? eps.order : null,
    adjacency: 'add/remove one training window',
    sampling: 'Poisson',
  });
  // The last epoch record was evaluated on these very weights; evaluate only if it is older.
  const last = epochs[epochs.length - 1];
  const validationLoss = last && last.step === result.steps ? last.validationLoss : evaluate(model, data.validation).loss;
  const metrics: RunMetrics = {
    schema: 'dp-canary/metrics@1',
    private: isPrivate,
    epsilon: eps ? eps.epsilon : Infinity,
    delta: result.delta,
    order: eps ? eps.order : null,
    noiseMultiplier: result.noiseMultiplier,
    samplingRate: result.samplingRate,
    clipNorm: result.clipNorm,
    steps: result.steps,
    stopReason: result.stopReason,
    trainExamples: N,
    validationExamples: data.validation.length,
    validationLoss,
    validationPerplexity: Math.exp(validationLoss),
    trainSeconds,
    backend: backend.name,
    randomSource: result.randomKind,
    sanitizedLines: data.sanitizedLines,
    epochs,
  };
  writeFileAtomic(runPath(dir, 'metrics'), toPrettyJson(metrics));
  return { metrics, data, model };
}

const RUN_TOKENIZER_NOTE = 'token ids follow tokenizer.json in the same folder';

