import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useCpu } from './helpers.js';
import { defaultDelta, train, type DpSgdPrivacy, type TrainOptions } from '../../src/dpsgd/trainer.js';
import { makeWindows } from '../../src/dpsgd/data.js';
import { evaluate } from '../../src/dpsgd/evaluate.js';
import { LanguageModel } from '../../src/dpsgd/model.js';
import { ledgerEpsilon, PrivacyLedger } from '../../src/accountant/index.js';
import { InvalidArgumentError } from '../../src/util/errors.js';
import { seededRandom } from '../../src/util/random.js';

beforeAll(useCpu);

// A learnable corpus: the cycle 0 1 2 3 4 5 repeated, cut into windows of 7 tokens.
const cycle = Int32Array.from({ length: 6 * 7 * 40 }, (_, i) => i % 6);
const examples = makeWindows(cycle, 6);
const config = { vocabSize: 6, embeddingDim: 4, hiddenSize: 8, layers: 1, cell: 'lstm' as const, dropout: 0 };
const quiet = (): void => undefined;

/** DP-SGD with C = 1 and sigma = 1.1 unless overridden. */
function dpSgd(over: Partial<DpSgdPrivacy> = {}): DpSgdPrivacy {
  return { kind: 'dp', clipNorm: 1, noise: { multiplier: 1.1 }, ...over };
}
const plainRun = { privacy: { kind: 'none' } } as const;
const steps = (n: number) => ({ length: { steps: n } });

function base(over: Partial<TrainOptions> = {}): TrainOptions {
  return {
    model: config, examples, sampling: { rate: 0.2 }, length: { steps: 8 }, privacy: dpSgd(),
    optimizer: { name: 'adam', learningRate: 0.02 }, seed: 'run', warn: quiet, ...over,
  };
}

function weightsOf(m: LanguageModel): Array<[string, number[]]> {
  return [...m.weights()].map(([k, v]) => [k, Array.from(v)]);
}

describe('train', () => {
  it('learns without privacy and with DP-SGD, and reports the ledger and randomness', async () => {
    const fresh = LanguageModel.create(config, seededRandom('run').fork('init'));
    const before = evaluate(fresh, examples).loss;
    const plain = await train(base({ ...plainRun, ...steps(40) }));
    expect(plain.validation).toBeNull();
    expect(evaluate(plain.model, examples).loss).toBeLessThan(before * 0.5);
    expect(plain.ledger).toBeNull();
    expect(plain.epsilon).toBe(Infinity);
    // Same (q, sigma) as every other test here: the accountant's first epsilon for a new pair is slow.
    const dp = await train(base({ ...steps(40), privacy: dpSgd({ clipNorm: 5 }), optimizer: { name: 'adam', learningRate: 0.05 }, validation: examples.slice(0, 20) }));
    expect(dp.validation!.loss).toBeLessThan(before * 0.85);
    expect(dp.validation!.perplexity).toBeCloseTo(Math.exp(dp.validation!.loss), 10);
    expect(dp.ledger!.steps).toBe(40);
    expect(dp.randomKind).toBe('seeded');
    expect(dp.epsilon).toBe(ledgerEpsilon(dp.ledger!, dp.delta).epsilon);
    expect(dp.delta).toBe(defaultDelta(examples.length));
  });

  it('leaves no tensors behind (private and non-private, GRU with dropout)', async () => {
    const before = tf.memory().numTensors;
    for (const priv of [true, false]) {
      const r = await train(
        base({ model: { ...config, cell: 'gru', dropout: 0.2 }, ...steps(3), ...(priv ? {} : plainRun) }),
      );
      r.model.dispose();
      r.optimizer.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the per-step callback sees steps, losses and a growing epsilon', async () => {
    const seen: Array<{ step: number; epsilon: number; loss: number }> = [];
    await train(base({ ...steps(4), onStep: (r) => void seen.push({ step: r.step, epsilon: r.epsilon, loss: r.loss }) }));
    expect(seen.map((s) => s.step)).toEqual([1, 2, 3, 4]);
    for (let k = 1; k < 4; k++) expect(seen[k]!.epsilon).toBeGreaterThan(seen[k - 1]!.epsilon);
  });

  it('stops before exceeding the epsilon budget (checked before each step)', async () => {
    const q = 0.2;
    const delta = 1e-3;
    // Epsilon after k steps, from the accountant directly.
    const eps = (k: number): number => ledgerEpsilon(PrivacyLedger.empty().compose({ samplingRate: q, noiseMultiplier: 1.1, count: k }), delta).epsilon;
    const budget = (eps(5) + eps(6)) / 2;
    const r = await train(base({ ...steps(50), delta, privacy: dpSgd({ maxEpsilon: budget }) }));
    expect(r.stopReason).toBe('epsilon-budget');
    expect(r.steps).toBe(5);
    expect(r.epsilon).toBeLessThanOrEqual(budget);
  });

  it('calibrates sigma for a target epsilon and never ends above it', async () => {
    const r = await train(base({ privacy: dpSgd({ noise: { targetEpsilon: 2 } }), ...steps(10), delta: 1e-3 }));
    expect(r.noiseMultiplier).toBeGreaterThan(0);
    expect(r.epsilon).toBeLessThanOrEqual(2);
    expect(r.epsilon).toBeGreaterThan(1.5);
  });

  it('rejects contradictory options with an InvalidArgumentError and warns about a large delta', async () => {
    // Combinations tsc rejects (see options-types.test.ts), as a JS caller could still pass them.
    await expect(train(base({ sampling: { rate: 0.2, batchSize: 10 } as never }))).rejects.toThrow(InvalidArgumentError);
    await expect(train(base({ privacy: dpSgd({ noise: { multiplier: 1.1, targetEpsilon: 1 } as never }) }))).rejects.toThrow(InvalidArgumentError);
    await expect(train(base({ privacy: dpSgd({ clipNorm: undefined as never }) }))).rejects.toThrow(InvalidArgumentError);
    await expect(train(base({ sampling: { rate: 0 } }))).rejects.toThrow(InvalidArgumentError);
    const warnings: string[] = [];
    await train(base({ ...steps(1), delta: 0.5, warn: (m) => void warnings.push(m) }));
    expect(warnings.some((w) => /delta/.test(w))).toBe(true);
  });

  it('an explicit default delta is a power of ten strictly below 1/N', () => {
    expect(defaultDelta(60000)).toBe(1e-5);
    expect(defaultDelta(100000)).toBe(1e-6);
    expect(defaultDelta(7)).toBe(0.1);
    expect(defaultDelta(240)).toBe(1e-3);
  });
});

describe('checkpoints: kill and resume', () => {
  const kill = (at: number) => (r: { step: number }): void => {
    if (r.step === at) throw new Error('killed');
  };

  it.each([
    ['lstm, checkpoint every step', { ...config }, 1],
    ['gru with dropout, checkpoint every 3 steps', { ...config, cell: 'gru' as const, dropout: 0.2 }, 3],
  ])('seeded (%s): same ledger and bit-identical weights as the uninterrupted run', async (_l, cfg, every) => {
    const dir = mkdtempSync(join(tmpdir(), 'dpsgd-ck-'));
    const path = join(dir, 'run.ckpt.json');
    const whole = await train(base({ model: cfg }));
    await expect(train(base({ model: cfg, checkpointPath: path, checkpointEvery: every, onStep: kill(5) }))).rejects.toThrow('killed');
    expect(existsSync(path)).toBe(true);
    const resumed = await train(base({ model: cfg, checkpointPath: path, checkpointEvery: every, resume: true }));
    expect(resumed.steps).toBe(8);
    expect(resumed.ledger!.toJSON()).toEqual(whole.ledger!.toJSON());
    expect(resumed.epsilon).toBe(whole.epsilon);
    expect(weightsOf(resumed.model)).toEqual(weightsOf(whole.model));
    expect(resumed.optimizer.toJSON()).toEqual(whole.optimizer.toJSON());
  });

  it('non-private (clip norm infinite): a killed run resumes to the same weights', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dpsgd-ck-'));
    const path = join(dir, 'run.ckpt.json');
    const plain = plainRun;
    const whole = await train(base({ ...plain }));
    await expect(train(base({ ...plain, checkpointPath: path, onStep: kill(4) }))).rejects.toThrow('killed');
    const resumed = await train(base({ ...plain, checkpointPath: path, resume: true }));
    expect(resumed.steps).toBe(whole.steps);
    expect(resumed.epsilon).toBe(Infinity);
    expect(weightsOf(resumed.model)).toEqual(weightsOf(whole.model));
  });

  it('secure: steps that ran after the last checkpoint are still charged (never fewer steps than taken)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dpsgd-ck-'));
    const path = join(dir, 'run.ckpt.json');
    let taken = 0;
    const opts = base({ seed: undefined, checkpointPath: path, checkpointEvery: 3 });
    await expect(train({ ...opts, onStep: (r) => { taken = r.step; kill(5)(r); } })).rejects.toThrow('killed');
    expect(taken).toBe(5);
    const resumed = await train({ ...opts, resume: true });
    expect(resumed.randomKind).toBe('secure');
    expect(resumed.steps).toBe(8);
    // 5 steps taken before the kill (2 of them lost with the process) + 5 after the resume.
    expect(resumed.ledger!.steps).toBe(10);
    expect(resumed.ledger!.steps).toBeGreaterThanOrEqual(8);
  });

  it('secure with a checkpoint every step: the ledger equals an uninterrupted run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dpsgd-ck-'));
    const path = join(dir, 'run.ckpt.json');
    const opts = base({ seed: undefined, checkpointPath: path, checkpointEvery: 1 });
    await expect(train({ ...opts, onStep: kill(4) })).rejects.toThrow('killed');
    const resumed = await train({ ...opts, resume: true });
    const whole = await train(base({ seed: undefined }));
    expect(resumed.ledger!.toJSON()).toEqual(whole.ledger!.toJSON());
  });

  it('refuses to resume with different privacy settings', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dpsgd-ck-'));
    const path = join(dir, 'run.ckpt.json');
    await train(base({ ...steps(2), checkpointPath: path }));
    await expect(train(base({ ...steps(2), checkpointPath: path, resume: true, privacy: dpSgd({ noise: { multiplier: 2 } }) }))).rejects.toThrow(/noiseMultiplier/);
    await expect(train(base({ ...steps(2), checkpointPath: path, resume: true, model: { ...config, hiddenSize: 9 } }))).rejects.toThrow(/hiddenSize/);
    await expect(train(base({ ...steps(2), checkpointPath: path, resume: true, seed: undefined }))).rejects.toThrow(InvalidArgumentError);
    // The same settings with keys in another order resume fine (nothing left to do: 2 of 2 steps).
    const { dropout, ...rest } = config;
    const again = await train(base({ ...steps(2), checkpointPath: path, resume: true, model: { dropout, ...rest } }));
    expect(again.steps).toBe(2);
  });
});
