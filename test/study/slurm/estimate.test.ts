import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { studyGrid } from '../../../src/study/grid.js';
import { runStudyPoint } from '../../../src/study/run-point.js';
import { runStudy } from '../../../src/study/runner.js';
import { estimatePoints } from '../../../src/study/slurm/estimate.js';
import { seededRandom } from '../../../src/util/random.js';
import { tinyCorpus } from '../../helpers/tiny-corpus.js';

describe('sizing: each point\'s estimated wall time', () => {
  it('plans the steps the point then trains (at least as many for sanitised data), from positive measured times', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dpc-estimate-'));
    const corpus = join(dir, 'tiny.txt');
    writeFileSync(corpus, tinyCorpus(300));
    const points = studyGrid('quick', {
      corpus, corpusMaxChars: 4000, hiddenSize: 16, embeddingDim: 8, seqLength: 24, batchSize: 16, epochs: 1, exposureEachEpoch: false,
      dpRecipe: { batchSize: 32, learningRate: 0.02, epochs: 1, clip: 0.5 },
      canaryFormat: 'my pin is {digits:3}', insertions: [1, 8], exposureReferences: 100, extractionMaxQueries: 100,
      modes: ['scratch'], mitigations: ['none', 'dp', 'sanitize'], dpEpsilons: [3],
    });
    const estimates = await estimatePoints(points, seededRandom('estimate-test'), { startupSeconds: 2 });
    expect(estimates.map((e) => e.id)).toEqual(points.map((p) => p.id));
    for (const e of estimates) {
      expect(e.trainSeconds).toBeGreaterThan(0);
      expect(e.measureSeconds).toBeGreaterThan(0);
      expect(e.setupSeconds).toBeGreaterThan(2); // the start-up given, and preparing the data twice
      expect(e.totalSeconds).toBeCloseTo(e.setupSeconds + e.trainSeconds + e.measureSeconds, 9);
      expect(Number.isFinite(e.totalSeconds)).toBe(true);
    }
    const report = await runStudy(points, runStudyPoint, { outDir: join(dir, 'study') });
    for (const [i, r] of report.points.entries()) {
      expect(r.status).toBe('ok');
      if (r.status !== 'ok') continue;
      if (r.point.mitigation === 'sanitize') expect(estimates[i]!.steps).toBeGreaterThanOrEqual(r.steps);
      else expect(estimates[i]!.steps, r.id).toBe(r.steps);
    }
    // The DP point trains fewer, larger steps than the baseline (its recipe's batch of 32 against 16).
    expect(estimates[1]!.steps).toBeLessThan(estimates[0]!.steps);
  });
});
