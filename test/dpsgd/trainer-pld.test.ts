import { beforeAll, describe, expect, it } from 'vitest';
import { useCpu } from './helpers.js';
import { train, type DpSgdPrivacy, type TrainOptions } from '../../src/dpsgd/trainer.js';
import { makeWindows } from '../../src/dpsgd/data.js';
import { ledgerEpsilon, PrivacyLedger } from '../../src/accountant/index.js';
import { InvalidArgumentError } from '../../src/util/errors.js';

beforeAll(useCpu);

const examples = makeWindows(Int32Array.from({ length: 6 * 7 * 40 }, (_, i) => i % 6), 6);
/** A run of 12 steps at q = 0.25, DP-SGD with C = 1 calibrated for epsilon 2 unless `privacy` overrides it. */
const base = (privacy: Partial<DpSgdPrivacy>): TrainOptions => ({
  model: { vocabSize: 6, embeddingDim: 3, hiddenSize: 4, layers: 1, cell: 'lstm', dropout: 0 },
  examples, sampling: { rate: 0.25 }, length: { steps: 12 },
  privacy: { kind: 'dp', clipNorm: 1, noise: { targetEpsilon: 2 }, ...privacy },
  optimizer: { name: 'adam', learningRate: 0.02 }, seed: 'pld', warn: () => undefined,
});

describe('train with the PLD accountant as the budget', () => {
  it('calibrates less noise than RDP for the same target, takes every planned step, and its PLD epsilon meets the target', async () => {
    const rdp = await train(base({}));
    const pld = await train(base({ accountant: 'pld' }));
    expect(pld.noiseMultiplier).toBeLessThan(rdp.noiseMultiplier);
    expect(pld.steps).toBe(12);
    expect(pld.stopReason).toBe('completed');
    const certified = ledgerEpsilon(pld.ledger!, pld.delta, 'pld');
    expect(certified.accountant).toBe('pld');
    expect(certified.epsilon).toBeLessThanOrEqual(2);
    expect(certified.epsilon).toBeGreaterThan(1.9);
    // RDP's figure for the same run is higher: the run is within budget only by the tighter accountant.
    expect(pld.epsilon).toBeGreaterThan(2);
    expect(PrivacyLedger.fromJSON(pld.ledger!.toJSON()).steps).toBe(12);
    for (const r of [rdp, pld]) {
      r.model.dispose();
      r.optimizer.dispose();
    }
  });

  it('stops before the step that would take its PLD epsilon over the budget', async () => {
    // sigma fixed, budget below what 12 steps spend: the run stops early, and the steps it took are within budget.
    const r = await train(base({ accountant: 'pld', noise: { multiplier: 1 }, maxEpsilon: 1.5 }));
    expect(r.stopReason).toBe('epsilon-budget');
    expect(r.steps).toBeLessThan(12);
    expect(ledgerEpsilon(r.ledger!, r.delta, 'pld').epsilon).toBeLessThanOrEqual(1.5);
    const oneMore = ledgerEpsilon(r.ledger!.compose({ samplingRate: 0.25, noiseMultiplier: 1, count: 1 }), r.delta, 'pld').epsilon;
    expect(oneMore).toBeGreaterThan(1.5);
    r.model.dispose();
    r.optimizer.dispose();
  });

  it('refuses an unknown accountant', async () => {
    await expect(train(base({ accountant: 'moments' as never }))).rejects.toThrow(InvalidArgumentError);
  });
});
