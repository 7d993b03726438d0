// A TypeScript user's file, type-checked against the built declarations through the package's
// "exports" (test/public/api.test.ts runs tsc on it). The @ts-expect-error lines prove that the
// types are real (an `any` would accept them).
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ledgerEpsilon, PrivacyLedger, type SampledGaussianEvent } from 'dp-canary/accountant';
import { causalSelfAttention, fitPrivately, layersModelScorer, positionEmbedding, type FitPrivatelyResult } from 'dp-canary/dpsgd';
import { exactExposures, type Scorer } from 'dp-canary/canary';
import { InvalidArgumentError } from 'dp-canary';

const event: SampledGaussianEvent = { samplingRate: 0.01, noiseMultiplier: 1.1, count: 100 };
const epsilon: number = ledgerEpsilon(PrivacyLedger.empty().compose(event), 1e-5).epsilon;

export async function train(model: tfl.LayersModel, x: tf.Tensor, y: tf.Tensor): Promise<number> {
  const r: FitPrivatelyResult = await fitPrivately(model, x, y, {
    loss: 'sparseCategoricalCrossentropy',
    optimizer: tf.train.adam(1e-3),
    epochs: 1,
    batchSize: 32,
    clipNorm: 1,
    targetEpsilon: 3,
    callbacks: { onEpochEnd: (_epoch, logs) => void logs.epsilon.toFixed(2) },
  });
  // @ts-expect-error: epochs is a number
  await fitPrivately(model, x, y, { loss: 'mse', optimizer: tf.train.sgd(1), epochs: 'one', batchSize: 1 });
  const scorer: Scorer = layersModelScorer(model);
  // @ts-expect-error: exposures take a Float64Array of log-perplexities
  exactExposures([1, 2], [0]);
  const ids = tfl.input({ shape: [8], dtype: 'int32' });
  const h = positionEmbedding({ maxLength: 8 }).apply(tfl.layers.embedding({ inputDim: 5, outputDim: 4 }).apply(ids)) as tfl.SymbolicTensor;
  const gpt = tfl.model({ inputs: ids, outputs: causalSelfAttention({ heads: 2, useBias: false }).apply(h) as tfl.SymbolicTensor });
  // @ts-expect-error: heads is required
  causalSelfAttention({ useBias: true });
  return gpt.countParams() + r.epsilon + epsilon + scorer.vocabSize + (new InvalidArgumentError('x') instanceof Error ? 0 : 1);
}
