import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveStudyConfig } from '../../src/study/grid.js';
import type { RunConfig } from '../../src/pipeline/run-config.js';
import { trainRun, type RunMetrics } from '../../src/pipeline/train-run.js';
import { runPath } from '../../src/pipeline/run-folder.js';
import { PrivacyLedger } from '../../src/accountant/index.js';
import { InvalidArgumentError } from '../../src/util/errors.js';
import { tinyCorpus } from '../helpers/tiny-corpus.js';

function config(corpus: string, over: Partial<RunConfig> = {}): RunConfig {
  return {
    ...resolveStudyConfig('quick').shared,
    corpus,
    corpusMaxChars: 6000,
    hiddenSize: 12,
    embeddingDim: 6,
    seqLength: 24,
    batchSize: 16,
    epochs: 1,
    canaryFormat: 'my pin is {digits:3}',
    insertions: [1, 4],
    exposureEachEpoch: false,
    exposureReferences: 100,
    mode: 'scratch',
    mitigation: 'none',
    dropout: 0,
    weightDecay: 0,
    seed: 3,
    ...over,
  };
}

const ledgerOf = (dir: string): { ledger: unknown; epsilon: number | string } => JSON.parse(readFileSync(runPath(dir, 'ledger'), 'utf8'));

describe('train --init-from: fine-tuning from a finished run', async () => {
  const root = mkdtempSync(join(tmpdir(), 'dpc-ft-'));
  const corpus = join(root, 'tiny.txt');
  writeFileSync(corpus, tinyCorpus(300));
  const publicDir = join(root, 'public');
  const pub = await trainRun(config(corpus), publicDir);
  pub.model.dispose();
  const privateDir = join(root, 'private');
  const priv = await trainRun(config(corpus, { mitigation: 'dp', targetEpsilon: 3, seed: 4 }), privateDir);
  priv.model.dispose();

  it('starts from the run\'s weights and tokenizer, and records it as public data when that run was not private', async () => {
    const dir = join(root, 'ft-public');
    // A tiny learning rate keeps the weights at the start, so the run measures the starting model.
    const r = await trainRun(config(corpus, { initFrom: publicDir, mitigation: 'dp', targetEpsilon: 3, learningRate: 1e-9, seed: 5 }), dir);
    r.model.dispose();
    expect(readFileSync(runPath(dir, 'tokenizer'), 'utf8')).toBe(readFileSync(runPath(publicDir, 'tokenizer'), 'utf8'));
    const start = JSON.parse(readFileSync(runPath(publicDir, 'model'), 'utf8')) as { weights: Record<string, unknown> };
    const end = JSON.parse(readFileSync(runPath(dir, 'model'), 'utf8')) as { weights: Record<string, unknown> };
    expect(Object.keys(end.weights)).toEqual(Object.keys(start.weights));
    expect(r.metrics.startingPoint).toEqual({ run: publicDir, private: false, epsilon: Infinity, privacy: 'treated-as-public' });
    // Nothing is composed: the same epsilon as the same run started from random weights.
    const fresh = await trainRun(config(corpus, { mitigation: 'dp', targetEpsilon: 3, learningRate: 1e-9, seed: 5 }), join(root, 'fresh'));
    fresh.model.dispose();
    expect(r.metrics.epsilon).toBe(fresh.metrics.epsilon);
    expect(r.metrics.validationLoss).toBeLessThan(fresh.metrics.validationLoss);
  });

  it('composes a private starting run\'s ledger, so the total epsilon counts both, and calibrates the target for the total', async () => {
    const dir = join(root, 'ft-private');
    const r = await trainRun(config(corpus, { initFrom: privateDir, mitigation: 'dp', targetEpsilon: 6, seed: 6 }), dir);
    r.model.dispose();
    const before = ledgerOf(privateDir);
    const after = ledgerOf(dir);
    const prior = PrivacyLedger.fromJSON(before.ledger);
    const total = PrivacyLedger.fromJSON(after.ledger);
    // The starting run's events come first, unchanged.
    expect(total.phases.slice(0, prior.phases.length)).toEqual(prior.phases);
    expect(total.steps).toBe(prior.steps + r.metrics.steps);
    expect(r.metrics.epsilon).toBeLessThanOrEqual(6);
    expect(r.metrics.epsilon).toBeGreaterThan(5.9); // calibrated to spend what is left, not less
    // Without the prior, the same target needs less noise.
    const alone = await trainRun(config(corpus, { mitigation: 'dp', targetEpsilon: 6, seed: 6 }), join(root, 'alone'));
    alone.model.dispose();
    expect(r.metrics.noiseMultiplier).toBeGreaterThan(alone.metrics.noiseMultiplier);
    expect((r.metrics as RunMetrics).startingPoint?.privacy).toBe('composed');
  });

  it('refuses a target the starting run already spent, and a model of another shape', async () => {
    await expect(trainRun(config(corpus, { initFrom: privateDir, mitigation: 'dp', targetEpsilon: 2 }), join(root, 'x1'))).rejects.toThrow(/already spent/);
    await expect(trainRun(config(corpus, { initFrom: publicDir, hiddenSize: 20 }), join(root, 'x2'))).rejects.toThrow(InvalidArgumentError);
    await expect(trainRun(config(corpus, { initFrom: join(root, 'nope') }), join(root, 'x3'))).rejects.toThrow(/does not exist/);
  });
});
