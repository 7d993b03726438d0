import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { evaluate } from '../dpsgd/evaluate.js';
import { auditModel, writeRunAudit } from '../pipeline/audit-run.js';
import { measureCanaries } from '../pipeline/measure.js';
import { writeMeasurement } from '../pipeline/measure-run.js';
import type { RunConfig } from '../pipeline/run-config.js';
import { prepareRunData } from '../pipeline/run-data.js';
import { naturalSecretsOfRun, type NaturalSecretSummary } from '../pipeline/natural-run.js';
import { runPath } from '../pipeline/run-folder.js';
import { trainRun } from '../pipeline/train-run.js';
import { ParallelSession } from '../dpsgd/parallel/session.js';
import { seededRandom } from '../util/random.js';
import { writeJsonAtomic } from '../util/atomic-write.js';
import type { PointContext } from './runner.js';
import { POINT_AUDIT_FIELDS, type PointAudit, type PointMeasurement, type StudyPoint } from './types.js';

/**
 * The study's point function: train the point's model in ctx.workDir (resuming from its
 * checkpoint when a killed study left one), then measure every canary (exact exposure when
 * |R| allows, else estimated; one extraction search), and return the measurement.
 * Worker threads import this module from dist/ by name (src/cli/commands/study.ts workerPointFunction).
 */
export async function runStudyPoint(point: StudyPoint, ctx: PointContext): Promise<PointMeasurement> {
  const { id: _id, ...rest } = point;
  void _id;
  const config: RunConfig = { ...rest };
  if (point.mode === 'fine-tune') {
    // The runner trains the public point first, in a sibling folder.
    config.initFrom = join(dirname(ctx.workDir), point.initFromPoint!);
  }
  const resume = existsSync(runPath(ctx.workDir, 'checkpoint')) && existsSync(runPath(ctx.workDir, 'run'));
  // Data-parallel within the point's share of the cores, which the runner changes as points come and go.
  const parallel = new ParallelSession('auto', { limit: ctx.threads ?? 1 });
  ctx.onThreadsChange?.((threads) => parallel.setLimit(threads));
  try {
    return await trainAndMeasure(point, ctx, config, resume, parallel);
  } finally {
    await parallel.close();
  }
}

async function trainAndMeasure(point: StudyPoint, ctx: PointContext, config: RunConfig, resume: boolean, parallel: ParallelSession): Promise<PointMeasurement> {
  let lastReport = 0;
  const { metrics, data, model } = await trainRun(config, ctx.workDir, {
    parallel,
    resume,
    log: (m) => ctx.progress(m),
    onStep: (r) => {
      const now = performance.now();
      if (now - lastReport < 15_000) return;
      lastReport = now;
      const eps = Number.isFinite(r.epsilon) ? r.epsilon.toFixed(2) : 'inf';
      ctx.progress(`step ${r.step}/${r.totalSteps}, loss ${r.loss.toFixed(3)}, epsilon ${eps} per ${config.privacyUnit ?? 'window'}`);
    },
    onEpoch: (e) => ctx.progress(`epoch ${e.epoch}: validation loss ${e.validationLoss.toFixed(3)} nats/token`),
  });
  try {
    // The public model is measured where every other point is: on the private part's held-out
    // text and canaries (tokenized with its own tokenizer), which it never saw.
    const target = point.mode === 'public' ? prepareRunData({ ...config, mode: 'scratch' }, data.tokenizer) : data;
    const validationLoss = point.mode === 'public' ? evaluate(model, target.validation).loss : metrics.validationLoss;
    ctx.progress('measuring exposure and extraction');
    const m = await measureCanaries(model, target.tokenizer, target.manifest, {
      enumerate: parallel.enumeratorFor(model.config),
      maxExactSpace: config.maxExactSpace,
      references: config.exposureReferences,
      extractionMaxQueries: config.extractionMaxQueries,
      random: seededRandom(`references/${config.dataSeed}`),
    });
    writeMeasurement(ctx.workDir, m);
    let natural: NaturalSecretSummary[] | null = null;
    if (config.naturalSecrets) {
      ctx.progress('natural secrets: finding them in the training mails and measuring each');
      const r = await naturalSecretsOfRun(model, target, {
        // A natural secret's extraction search gets at most 20,000 queries (a memorized one needs far fewer).
        maxQueries: Math.min(config.extractionMaxQueries, 20_000),
        seed: `natural/${config.dataSeed}`,
        onSecret: (done, total) => ctx.progress(`natural secret ${done}/${total} measured`),
      });
      writeJsonAtomic(join(ctx.workDir, 'natural-exposure.json'), r.report);
      natural = r.summaries;
    }
    let audit: PointAudit | null = null;
    if (data.manifest.audit) {
      ctx.progress('auditing: scoring the audit canaries');
      const a = await auditModel(model, data.tokenizer, data.manifest.audit, { confidence: 0.95, delta: metrics.delta, claimedEpsilon: metrics.epsilon });
      writeRunAudit(ctx.workDir, a);
      audit = Object.fromEntries(POINT_AUDIT_FIELDS.map((k) => [k, a[k]])) as PointAudit;
    }
    return {
      mode: point.mode,
      recipe: { batchSize: point.batchSize, learningRate: point.learningRate, epochs: point.epochs, clip: point.clip },
      // The public model never touched the private text: with respect to it, it is 0-DP (a constant).
      epsilon: point.mode === 'public' ? 0 : metrics.epsilon,
      epsilonPld: point.mode === 'public' ? 0 : metrics.epsilonPld,
      privacyUnit: metrics.privacyUnit,
      ...(metrics.trainUnits !== undefined ? { trainUnits: metrics.trainUnits } : {}),
      ...(metrics.groupPrivacy ? { groupPrivacy: metrics.groupPrivacy } : {}),
      delta: metrics.delta,
      noiseMultiplier: metrics.noiseMultiplier,
      steps: metrics.steps,
      validationLoss,
      validationPerplexity: Math.exp(validationLoss),
      trainSeconds: metrics.trainSeconds,
      backend: metrics.backend,
      threads: parallel.mostThreads,
      randomSource: metrics.randomSource,
      log2R: m.log2R,
      canaries: m.canaries.map((c) => ({
        name: c.name,
        insertions: c.insertions,
        logPerplexityBits: c.logPerplexityBits,
        exposure: c.exposure,
        exposureMethod: c.exposureMethod,
        extracted: c.extracted,
        ...(c.extractionRank !== undefined ? { extractionRank: c.extractionRank } : {}),
        extractionQueries: c.extractionQueries,
      })),
      // Every epoch's losses; its exposure is empty when not measured (exposureEachEpoch off).
      exposureByEpoch: metrics.epochs.map((e) => ({
        epoch: e.epoch,
        exposure: e.exposure,
        ...(e.exposureMethod ? { exposureMethod: e.exposureMethod } : {}),
        ...(e.trainLoss !== undefined ? { trainLoss: e.trainLoss } : {}),
        validationLoss: e.validationLoss,
      })),
      sanitizedLines: metrics.sanitizedLines,
      ...(point.mode === 'fine-tune' ? { startingPoint: point.initFromPoint! } : {}),
      ...(audit ? { audit } : {}),
      ...(natural ? { naturalSecrets: natural } : {}),
    };
  } finally {
    model.dispose();
  }
}
