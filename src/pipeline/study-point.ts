import { existsSync } from 'node:fs';
import type { PointContext } from '../study/runner.js';
import type { PointAudit, PointMeasurement, StudyPoint } from '../study/types.js';
import { auditModel } from './audit-run.js';
import { measureCanaries } from './measure.js';
import { runPath } from './run-folder.js';
import { trainRun } from './train-run.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { toPrettyJson } from '../util/json.js';
import { seededRandom } from '../util/random.js';
import type { RunConfig } from './run-config.js';

/**
 * The study's point function: train the point's model in ctx.workDir (resuming from its
 * checkpoint when a killed study left one), then measure every canary (exact exposure when
 * |R| allows, else estimated; one extraction search), and return the measurement.
 * Worker threads import this module from dist/ by name.
 */
export async function runStudyPoint(point: StudyPoint, ctx: PointContext): Promise<PointMeasurement> {
  const { id: _id, ...rest } = point;
  void _id;
  const config: RunConfig = rest;
  const resume = existsSync(runPath(ctx.workDir, 'checkpoint')) && existsSync(runPath(ctx.workDir, 'run'));
  let lastReport = 0;
  const { metrics, data, model } = await trainRun(config, ctx.workDir, {
    resume,
    log: (m) => ctx.progress(m),
    onStep: (r) => {
      const now = performance.now();
      if (now - lastReport < 15_000) return;
      lastReport = now;
      const eps = Number.isFinite(r.epsilon) ? r.epsilon.toFixed(2) : 'inf';
      ctx.progress(`step ${r.step}/${r.totalSteps}, loss ${r.loss.toFixed(3)}, epsilon ${eps}`);
    },
    onEpoch: (e) => ctx.progress(`epoch ${e.epoch}: validation loss ${e.validationLoss.toFixed(3)} nats/token`),
  });
  try {
    ctx.progress('measuring exposure and extraction');
    const m = await measureCanaries(model, data.tokenizer, data.manifest, {
      maxExactSpace: config.maxExactSpace,
      references: config.exposureReferences,
      extractionMaxQueries: config.extractionMaxQueries,
      random: seededRandom(`references/${config.dataSeed}`),
    });
    writeFileAtomic(runPath(ctx.workDir, 'exposure'), toPrettyJson(m));
    let audit: PointAudit | null = null;
    if (data.manifest.audit) {
      ctx.progress('auditing: scoring the audit canaries');
      const a = await auditModel(model, data.tokenizer, data.manifest.audit, { confidence: 0.95, delta: metrics.delta, claimedEpsilon: metrics.epsilon });
      writeFileAtomic(runPath(ctx.workDir, 'audit'), toPrettyJson(a));
      audit = {
        epsilonLowerBound: a.epsilonLowerBound, confidence: a.confidence, delta: a.delta, auditCanaries: a.auditCanaries,
        unitsPerCanary: a.unitsPerCanary, guesses: a.guesses, correctGuesses: a.correctGuesses,
      };
    }
    return {
      epsilon: metrics.epsilon,
      delta: metrics.delta,
      noiseMultiplier: metrics.noiseMultiplier,
      steps: metrics.steps,
      validationLoss: metrics.validationLoss,
      validationPerplexity: metrics.validationPerplexity,
      trainSeconds: metrics.trainSeconds,
      backend: metrics.backend,
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
      // Epochs without a probe (exposureEachEpoch off) carry no exposure and are left out.
      exposureByEpoch: metrics.epochs.filter((e) => Object.keys(e.exposure).length > 0).map((e) => ({ epoch: e.epoch, exposure: e.exposure })),
      sanitizedLines: metrics.sanitizedLines,
      ...(audit ? { audit } : {}),
    };
  } finally {
    model.dispose();
  }
}
