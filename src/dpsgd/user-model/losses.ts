import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../../util/errors.js';

/** Per-example loss: yTrue and yPred for B examples -> [B] (one value per example). */
export type PerExampleLoss = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor1D;

export type LossName = 'sparseCategoricalCrossentropy' | 'categoricalCrossentropy' | 'binaryCrossentropy' | 'meanSquaredError';

/** Probabilities are clipped to [EPS, 1 - EPS] before the log, as Keras and tfjs do (1e-7). */
const EPS = 1e-7;

/** Mean over every axis after the batch axis: [B, ...] -> [B]. */
function meanPerExample(x: tf.Tensor): tf.Tensor1D {
  if (x.rank === 1) return x as tf.Tensor1D;
  return tf.mean(tf.reshape(x, [x.shape[0], -1]), 1) as tf.Tensor1D;
}

function logProbs(yPred: tf.Tensor, fromLogits: boolean): tf.Tensor {
  if (fromLogits) return tf.logSoftmax(yPred);
  // Like Keras: renormalise, clip, log.
  const p = tf.div(yPred, tf.sum(yPred, -1, true));
  return tf.log(tf.clipByValue(p, EPS, 1 - EPS));
}

/**
 * The per-example form of a Keras/tfjs loss, natural-log units (nats) for the cross-entropies.
 * Each example's loss is the mean over its positions (a sequence's steps, an output's units),
 * as Keras reduces within an example; the batch is NOT averaged (DP-SGD clips per example).
 * - sparseCategoricalCrossentropy: yTrue integer class ids [B, ...] (a trailing axis of 1 is
 *   dropped), yPred [B, ..., C] probabilities (or logits with fromLogits).
 * - categoricalCrossentropy: yTrue one-hot [B, ..., C].
 * - binaryCrossentropy: yTrue in [0, 1], yPred probabilities (or logits), same shape.
 * - meanSquaredError: any shape.
 *
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { perExampleLoss } from 'dp-canary/dpsgd';
 * const mse = perExampleLoss('meanSquaredError');
 * mse(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[1, 2], [3, 6]])).print(); // [0, 2]: one loss per example
 * ```
 */
export function perExampleLoss(name: LossName | string, fromLogits = false): PerExampleLoss {
  switch (name) {
    case 'sparseCategoricalCrossentropy':
    case 'sparse_categorical_crossentropy':
      return (yTrue, yPred) =>
        tf.tidy(() => {
          const C = yPred.shape[yPred.rank - 1]!;
          let ids = yTrue.dtype === 'int32' ? yTrue : tf.cast(yTrue, 'int32');
          if (ids.rank === yPred.rank) ids = tf.squeeze(ids, [ids.rank - 1]);
          const onehot = tf.oneHot(tf.reshape(ids, [-1]) as tf.Tensor1D, C);
          const lp = tf.reshape(logProbs(yPred, fromLogits), [-1, C]);
          const nll = tf.neg(tf.sum(tf.mul(onehot, lp), 1));
          return meanPerExample(tf.reshape(nll, [yPred.shape[0], -1]));
        });
    case 'categoricalCrossentropy':
    case 'categorical_crossentropy':
      return (yTrue, yPred) => tf.tidy(() => meanPerExample(tf.neg(tf.sum(tf.mul(yTrue, logProbs(yPred, fromLogits)), -1))));
    case 'binaryCrossentropy':
    case 'binary_crossentropy':
      return (yTrue, yPred) =>
        tf.tidy(() => {
          if (fromLogits) {
            // max(x, 0) - x y + log(1 + exp(-|x|)), the stable form of sigmoid cross-entropy.
            const l = tf.add(tf.sub(tf.relu(yPred), tf.mul(yPred, yTrue)), tf.log1p(tf.exp(tf.neg(tf.abs(yPred)))));
            return meanPerExample(l);
          }
          const p = tf.clipByValue(yPred, EPS, 1 - EPS);
          const l = tf.neg(tf.add(tf.mul(yTrue, tf.log(p)), tf.mul(tf.sub(1, yTrue), tf.log(tf.sub(1, p)))));
          return meanPerExample(l);
        });
    case 'meanSquaredError':
    case 'mean_squared_error':
    case 'mse':
      return (yTrue, yPred) => tf.tidy(() => meanPerExample(tf.squaredDifference(yPred, yTrue)));
    default:
      throw new InvalidArgumentError(`unknown loss '${name}'; use sparseCategoricalCrossentropy, categoricalCrossentropy, binaryCrossentropy, meanSquaredError or a per-example loss function.`);
  }
}

/** Whether predictions can be scored by arg-max accuracy for this loss. */
export function isCategorical(name: LossName | string | PerExampleLoss): boolean {
  return typeof name === 'string' && /categorical/i.test(name);
}
