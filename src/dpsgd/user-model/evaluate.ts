/**
 * A user model's data, before and after training: non-finite rows are refused up front, and
 * held-out data is scored (loss and accuracy) without privacy.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { InvalidArgumentError } from '../../util/errors.js';
import type { PerExampleLoss } from './losses.js';

/**
 * Throws InvalidArgumentError naming the first row of a float tensor that holds NaN or Infinity
 * (integer tensors cannot). `name` is how the message calls the tensor, e.g. 'x' or 'x[1]'.
 */
export function checkFiniteRows(t: tf.Tensor, name: string): void {
  if (t.dtype !== 'float32' || t.size === 0) return;
  const bad = tf.tidy(() => {
    const rows = tf.reshape(t, [t.shape[0]!, -1]);
    const finite = tf.all(tf.isFinite(rows), 1);
    return tf.logicalNot(finite).dataSync();
  });
  const row = bad.findIndex((v) => v !== 0);
  if (row >= 0) {
    throw new InvalidArgumentError(`${name} row ${row} holds a non-finite value (NaN or Infinity); remove or impute it before training (every example must be finite).`);
  }
}

export function asList(x: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
  return Array.isArray(x) ? x : [x];
}

/**
 * Mean per-example loss and (for categorical losses) arg-max accuracy on held-out data.
 *
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import * as tfl from '@tensorflow/tfjs-layers';
 * import { evaluateModel, perExampleLoss } from 'dp-canary/dpsgd';
 * const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [4], units: 3, activation: 'softmax' })] });
 * const y = tf.tensor1d(Array.from({ length: 64 }, (_, i) => i % 3));
 * evaluateModel(model, tf.randomNormal([64, 4]), y, perExampleLoss('sparseCategoricalCrossentropy'), true); // { loss, acc }
 * ```
 */
export function evaluateModel(model: LayersModel, x: tf.Tensor | tf.Tensor[], y: tf.Tensor, loss: PerExampleLoss, categorical: boolean, chunk = 512): { loss: number; acc?: number } {
  const xs = asList(x);
  const N = y.shape[0];
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < N; start += chunk) {
    const n = Math.min(chunk, N - start);
    tf.tidy(() => {
      const xi = xs.map((t) => tf.slice(t, start, n));
      const yi = tf.slice(y, start, n);
      const out = model.apply(xi.length === 1 ? xi[0]! : xi, { training: false }) as tf.Tensor;
      lossSum += tf.sum(loss(yi, out)).dataSync()[0]!;
      if (categorical) {
        const pred = tf.argMax(out, -1);
        const truth = yi.rank === out.rank ? (yi.shape[yi.rank - 1] === 1 ? tf.squeeze(yi, [yi.rank - 1]) : tf.argMax(yi, -1)) : yi;
        correct += tf.sum(tf.cast(tf.equal(pred, tf.cast(truth, 'int32')), 'float32')).dataSync()[0]! / (pred.size / n);
      }
    });
  }
  return categorical ? { loss: lossSum / N, acc: correct / N } : { loss: lossSum / N };
}
