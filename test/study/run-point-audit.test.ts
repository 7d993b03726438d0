import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runStudyPoint } from '../../src/study/run-point.js';
import { runPath } from '../../src/pipeline/run-folder.js';
import { resolveStudyConfig } from '../../src/study/grid.js';
import type { StudyPoint } from '../../src/study/types.js';
import { tinyCorpus } from '../helpers/tiny-corpus.js';

describe('a study point with audit canaries', () => {
  it('reports the audit beside epsilon: a DP point\'s lower bound is at most its claimed epsilon', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dpc-point-audit-'));
    const corpus = join(dir, 'tiny.txt');
    writeFileSync(corpus, tinyCorpus(300));
    const point: StudyPoint = {
      ...resolveStudyConfig('quick').shared,
      id: 'dp-eps3-seed1', corpus, corpusMaxChars: 6000, hiddenSize: 16, embeddingDim: 8, seqLength: 24, batchSize: 16, epochs: 2,
      canaryFormat: 'my pin is {digits:3}', insertions: [1, 4], exposureReferences: 200, extractionMaxQueries: 0,
      mode: 'scratch', mitigation: 'dp', targetEpsilon: 3, dropout: 0, weightDecay: 0, seed: 1,
      auditCanaries: 40, auditRepeats: 2, auditFormat: 'key {digits:12}',
    };
    const r = await runStudyPoint(point, { workDir: join(dir, 'run'), progress: () => undefined });
    const a = r.audit!;
    expect(a.auditCanaries).toBe(40);
    expect(a.unitsPerCanary).toBe(2);
    expect(a.delta).toBe(r.delta);
    expect(a.confidence).toBe(0.95);
    expect(a.correctGuesses).toBeLessThanOrEqual(a.guesses);
    expect(a.epsilonLowerBound).toBeGreaterThanOrEqual(0);
    expect(a.epsilonLowerBound).toBeLessThanOrEqual(r.epsilon);
    expect(r.epsilon).toBeLessThanOrEqual(3);
    expect(existsSync(runPath(join(dir, 'run'), 'audit'))).toBe(true);
    expect(JSON.parse(readFileSync(runPath(join(dir, 'run'), 'audit'), 'utf8')).epsilonLowerBound).toBe(a.epsilonLowerBound);
  });
});
