/**
 * TrainOptions' "exactly one of" rules are in its types: every invalid combination below is a
 * compile error (`npm run typecheck` fails if a `@ts-expect-error` finds no error), and, as a
 * JS caller can still pass it, each one is also refused at run time with an InvalidArgumentError.
 */
import { describe, expect, it } from 'vitest';
import { resolveTrainPlan, type TrainOptions, type TrainPrivacy } from '../../src/dpsgd/trainer.js';
import { InvalidArgumentError } from '../../src/util/errors.js';

const examples = Array.from({ length: 100 }, (_, i) => [i % 5, (i + 1) % 5, (i + 2) % 5]);
const model = { vocabSize: 5, embeddingDim: 2, hiddenSize: 3, layers: 1, cell: 'lstm' as const, dropout: 0 };
const optimizer = { name: 'sgd' as const, learningRate: 0.1 };
const dp: TrainPrivacy = { kind: 'dp', clipNorm: 1, noise: { multiplier: 1.1 } };
const quiet = (): void => undefined;

const invalid: Array<[string, TrainOptions]> = [
  [
    'a noise multiplier and a target epsilon',
    // @ts-expect-error: noise is a multiplier or a target, not both
    { model, examples, optimizer, sampling: { rate: 0.1 }, privacy: { kind: 'dp', clipNorm: 1, noise: { multiplier: 1.1, targetEpsilon: 3 } } },
  ],
  [
    'neither a noise multiplier nor a target epsilon',
    // @ts-expect-error: noise needs one of them
    { model, examples, optimizer, sampling: { rate: 0.1 }, privacy: { kind: 'dp', clipNorm: 1, noise: {} } },
  ],
  [
    'a private run without a clip norm',
    // @ts-expect-error: clipNorm is required for DP-SGD
    { model, examples, optimizer, sampling: { rate: 0.1 }, privacy: { kind: 'dp', noise: { multiplier: 1.1 } } },
  ],
  [
    'a clip norm on a non-private run',
    // @ts-expect-error: a non-private run takes no DP-SGD settings
    { model, examples, optimizer, sampling: { rate: 0.1 }, privacy: { kind: 'none', clipNorm: 1 } },
  ],
  [
    'an epsilon budget on a non-private run',
    // @ts-expect-error: a non-private run takes no DP-SGD settings
    { model, examples, optimizer, sampling: { rate: 0.1 }, privacy: { kind: 'none', maxEpsilon: 3 } },
  ],
  [
    'a sampling rate and a batch size',
    // @ts-expect-error: sampling is a rate or an expected batch size, not both
    { model, examples, optimizer, sampling: { rate: 0.1, batchSize: 10 }, privacy: dp },
  ],
  [
    'steps and epochs',
    // @ts-expect-error: length is steps or epochs, not both
    { model, examples, optimizer, sampling: { rate: 0.1 }, length: { steps: 10, epochs: 1 }, privacy: dp },
  ],
  [
    'no privacy setting',
    // @ts-expect-error: privacy must be chosen explicitly
    { model, examples, optimizer, sampling: { rate: 0.1 } },
  ],
];

describe('TrainOptions', () => {
  it.each(invalid)('refuses %s at run time too (InvalidArgumentError)', (_what, o) => {
    expect(() => resolveTrainPlan(o, quiet)).toThrow(InvalidArgumentError);
  });

  it('accepts each valid shape and resolves it as documented', () => {
    const plain = resolveTrainPlan({ model, examples, optimizer, sampling: { batchSize: 10 }, privacy: { kind: 'none' } }, quiet);
    // q = batchSize / N; the default length is one epoch, ceil(1 / q) steps.
    expect(plain.stepsPerEpoch).toBe(10);
    expect(plain.plan).toMatchObject({ private: false, samplingRate: 0.1, totalSteps: 10, clipNorm: Infinity, noiseMultiplier: 0, maxEpsilon: null });
    const fixed = resolveTrainPlan({ model, examples, optimizer, sampling: { rate: 0.2 }, length: { epochs: 3 }, privacy: dp }, quiet);
    expect(fixed.plan).toMatchObject({
      private: true,
      samplingRate: 0.2,
      totalSteps: 15,
      clipNorm: 1,
      noiseMultiplier: 1.1,
      maxEpsilon: null,
      delta: 1e-3,
    });
    const budgeted = resolveTrainPlan(
      { model, examples, optimizer, sampling: { rate: 0.2 }, length: { steps: 4 }, privacy: { ...dp, maxEpsilon: 2 } },
      quiet,
    );
    expect(budgeted).toMatchObject({ plan: { totalSteps: 4, maxEpsilon: 2 }, targetEpsilon: null, budget: { kind: 'epsilon', maxEpsilon: 2 } });
  });
});
