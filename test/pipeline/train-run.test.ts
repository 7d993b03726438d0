import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveStudyConfig } from '../../src/study/grid.js';
import type { RunConfig } from '../../src/pipeline/run-config.js';
import { trainRun } from '../../src/pipeline/train-run.js';
import { runPath } from '../../src/pipeline/run-folder.js';
import { tinyCorpus } from '../helpers/tiny-corpus.js';

function config(corpus: string, mitigation: RunConfig['mitigation']): RunConfig {
  return {
    ...resolveStudyConfig('quick').shared,
    corpus,
    corpusMaxChars: 8000,
    hiddenSize: 16,
    embeddingDim: 8,
    seqLength: 24,
    batchSize: 16,
    epochs: 4,
    canaryFormat: 'my pin is {digits:3}',
    insertions: [1, 8],
    exposureEachEpoch: true,
    exposureReferences: 200,
    mode: 'scratch',
    mitigation,
    ...(mitigation === 'dp' ? { targetEpsilon: 4 } : {}),
    dropout: 0,
    weightDecay: 0,
    seed: 7,
  };
}

describe('trainRun: kill and resume of a whole run (seeded)', () => {
  for (const mitigation of ['dp', 'none'] as const) {
    it(`${mitigation}: the resumed run ends with the same metrics and per-epoch history as an uninterrupted one`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'dpc-run-'));
      const corpus = join(dir, 'tiny.txt');
      writeFileSync(corpus, tinyCorpus(400));
      const c = config(corpus, mitigation);

      const whole = await trainRun(c, join(dir, 'whole'));
      whole.model.dispose();

      const cut = join(dir, 'cut');
      await expect(
        trainRun(c, cut, {
          onEpoch: (e) => {
            if (e.epoch === 2) throw new Error('killed');
          },
        }),
      ).rejects.toThrow('killed');
      expect(existsSync(runPath(cut, 'history'))).toBe(true);
      expect(existsSync(runPath(cut, 'metrics'))).toBe(false);

      const resumed = await trainRun(c, cut, { resume: true });
      resumed.model.dispose();
      const strip = (m: typeof whole.metrics): unknown => ({ ...m, trainSeconds: 0 });
      expect(strip(resumed.metrics)).toEqual(strip(whole.metrics));
      expect(resumed.metrics.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
      expect(JSON.parse(readFileSync(runPath(cut, 'ledger'), 'utf8'))).toEqual(JSON.parse(readFileSync(runPath(join(dir, 'whole'), 'ledger'), 'utf8')));
    });
  }

  // A scheduler kills a process at any moment. Two moments a whole-epoch kill above never hits:
  // right after an epoch end's checkpoint, before its record is written (the record must be
  // rebuilt from the checkpoint), and after a checkpoint in the middle of an epoch (the epoch's
  // training loss must still count the steps before it).
  it.each([
    ['after the checkpoint of epoch 1\'s end, before its record', { batchSize: 16 }, (steps: number) => steps],
    ['after a checkpoint in the middle of an epoch (more than 50 steps per epoch)', { batchSize: 2, epochs: 1.5 }, () => 55],
  ])('killed %s: the resumed run has the uninterrupted run\'s metrics and history', async (_what, overrides, killAt) => {
    const dir = mkdtempSync(join(tmpdir(), 'dpc-run-'));
    const corpus = join(dir, 'tiny.txt');
    writeFileSync(corpus, tinyCorpus(400));
    const c = { ...config(corpus, 'none'), corpusMaxChars: 4000, exposureEachEpoch: false, ...overrides };
    const whole = await trainRun(c, join(dir, 'whole'));
    whole.model.dispose();
    const stepsPerEpoch = whole.metrics.steps / c.epochs;
    const at = killAt(Math.round(stepsPerEpoch));
    const cut = join(dir, 'cut');
    await expect(trainRun(c, cut, { onStep: (r) => { if (r.step === at) throw new Error('killed'); } })).rejects.toThrow('killed');
    const checkpointStep = (JSON.parse(readFileSync(runPath(cut, 'checkpoint'), 'utf8')) as { step: number }).step;
    expect(checkpointStep).toBe(at === 55 ? 50 : at);
    const resumed = await trainRun(c, cut, { resume: true });
    resumed.model.dispose();
    const strip = (m: typeof whole.metrics): unknown => ({ ...m, trainSeconds: 0 });
    expect(strip(resumed.metrics)).toEqual(strip(whole.metrics));
    expect(resumed.metrics.epochs.every((e) => e.trainLoss !== undefined)).toBe(true);
  });
});
