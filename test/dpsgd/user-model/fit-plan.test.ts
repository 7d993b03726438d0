/**
 * fitPrivately has what train has: the PLD accountant, a starting ledger, the same run plan;
 * threads must be a whole number >= 1 (threads > 1: fit-threads.test.ts); its callback logs type-check as tfjs's Logs.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Logs } from '@tensorflow/tfjs-layers';
import { useCpu } from '../helpers.js';
import { fitPrivately, type FitCallbacks, type FitLogs, type FitPrivatelyOptions } from '../../../src/dpsgd/user-model/fit.js';
import { calibrateNoise, ledgerEpsilon, PrivacyLedger } from '../../../src/accountant/index.js';
import { resolveRunPlan } from '../../../src/dpsgd/run-plan.js';
import { InvalidArgumentError } from '../../../src/util/errors.js';
import { seedWeights } from './brute-force.js';

beforeAll(useCpu);

// Type level: a tfjs-style callback (logs?: Logs) is a FitCallbacks callback, and FitLogs is a Logs.
const tfjsStyle = (epoch: number, logs?: Logs): void => void [epoch, logs];
const callbacks: FitCallbacks = { onEpochEnd: tfjsStyle, onBatchEnd: tfjsStyle, onTrainEnd: (logs?: Logs) => void logs };
const asLogs = (l: FitLogs): Logs => l;

function data(n: number): { x: tf.Tensor2D; y: tf.Tensor1D } {
  const xs = Array.from({ length: n * 3 }, (_, k) => Math.sin(k * 1.7));
  return { x: tf.tensor2d(xs, [n, 3]), y: tf.tensor1d(Array.from({ length: n }, (_, i) => i % 2), 'int32') };
}

function model(): tfl.LayersModel {
  const m = tfl.sequential({ layers: [tfl.layers.dense({ units: 2, activation: 'softmax', inputShape: [3] })] });
  seedWeights(m, 'plan');
  return m;
}

const base = (over: Partial<FitPrivatelyOptions> = {}): FitPrivatelyOptions => ({
  loss: 'sparseCategoricalCrossentropy',
  optimizer: tf.train.sgd(0.1),
  epochs: 1,
  batchSize: 10,
  clipNorm: 1,
  seed: 'plan',
  warn: () => undefined,
  callbacks,
  ...over,
});

describe('fitPrivately and the run plan', () => {
  const d = data(40);

  it('logs are tfjs Logs (type level), and reach a tfjs-style callback', async () => {
    const seen: Logs[] = [];
    const r = await fitPrivately(model(), d.x, d.y, base({ noiseMultiplier: 1, callbacks: { onEpochEnd: (_e, logs) => void seen.push(asLogs(logs)) } }));
    expect(seen.length).toBe(1);
    expect(seen[0]!['epsilon']).toBe(r.epsilon);
  });

  it('refuses threads that are not a whole number >= 1 with an InvalidArgumentError before training', async () => {
    await expect(fitPrivately(model(), d.x, d.y, base({ noiseMultiplier: 1, threads: 0 }))).rejects.toThrow(InvalidArgumentError);
    await expect(fitPrivately(model(), d.x, d.y, base({ noiseMultiplier: 1, threads: 0 }))).rejects.toThrow(/threads must be an integer >= 1/);
  });

  it("calibrates a target with the PLD accountant exactly as train's resolver does, and stays within it by PLD", async () => {
    const r = await fitPrivately(model(), d.x, d.y, base({ targetEpsilon: 2, accountant: 'pld', delta: 1e-3 }));
    // The same request to the one calibration: q = 10 / 40, 4 steps.
    const want = calibrateNoise({ accountant: 'pld', targetEpsilon: 2, samplingRate: 0.25, steps: 4, delta: 1e-3 });
    expect(r.noiseMultiplier).toBe(want.noiseMultiplier);
    expect(r.steps).toBe(4);
    expect(ledgerEpsilon(r.ledger!, 1e-3, 'pld').epsilon).toBeLessThanOrEqual(2);
    // PLD is tighter: the RDP figure of the same ledger is larger than the target it was calibrated to.
    expect(r.epsilon).toBeGreaterThan(ledgerEpsilon(r.ledger!, 1e-3, 'pld').epsilon);
  });

  it('composes onto a starting ledger: the target counts the prior, the result holds both', async () => {
    const prior = PrivacyLedger.empty().compose({ samplingRate: 0.25, noiseMultiplier: 1.5, count: 8 });
    const r = await fitPrivately(model(), d.x, d.y, base({ targetEpsilon: 3, priorLedger: prior, delta: 1e-3 }));
    expect(r.ledger!.phases[0]).toEqual(prior.phases[0]);
    expect(r.ledger!.steps).toBe(8 + r.steps);
    expect(r.epsilon).toBe(ledgerEpsilon(r.ledger!, 1e-3).epsilon);
    expect(r.epsilon).toBeLessThanOrEqual(3);
    expect(r.noiseMultiplier).toBe(calibrateNoise({ targetEpsilon: 3, samplingRate: 0.25, steps: 4, delta: 1e-3, prior }).noiseMultiplier);
  });

  it('one length rule: ceil(epochs / q) steps, ceil(1 / q) per epoch', () => {
    const plan = (epochs: number) =>
      resolveRunPlan({ private: false, population: 200, populationName: 'examples', sampling: { batchSize: 30 }, length: { epochs }, warn: () => undefined });
    // q = 0.15: 6.67 steps per epoch, rounded up.
    expect(plan(1)).toMatchObject({ stepsPerEpoch: 7, plan: { totalSteps: 7 } });
    expect(plan(3)).toMatchObject({ stepsPerEpoch: 7, plan: { totalSteps: 20 } });
  });
});
