import * as tf from '@tensorflow/tfjs-core';
import type { TapRecorder } from './types.js';

/**
 * Weights of one GRU layer, gates packed as update z, reset r, candidate n; the "reset after"
 * form (Keras reset_after=True, cuDNN, PyTorch): n = tanh(x Wn + bxn + r * (h Un + bhn)).
 */
export interface GruWeights {
  /** [D, 3H] input kernel. */
  readonly W: tf.Tensor2D;
  /** [H, 3H] recurrent kernel. */
  readonly U: tf.Tensor2D;
  /** [3H] input bias. */
  readonly bx: tf.Tensor1D;
  /** [3H] recurrent bias. */
  readonly bh: tf.Tensor1D;
}

/**
 * One GRU step from the input pre-activation gx = x W + bx and the recurrent one
 * gh = h U + bh (both [B, 3H]): h' = (1 - z) * n + z * h.
 */
export function gruCell(gx: tf.Tensor2D, gh: tf.Tensor2D, h: tf.Tensor2D): tf.Tensor2D {
  const [xz, xr, xn] = tf.split(gx, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  const [hz, hr, hn] = tf.split(gh, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  const z = tf.sigmoid(tf.add(xz, hz));
  const r = tf.sigmoid(tf.add(xr, hr));
  const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
  // (1 - z) * n + z * h = n + z * (h - n)
  return tf.add(n, tf.mul(z, tf.sub(h, n))) as tf.Tensor2D;
}

/**
 * A time-major GRU layer from zero state: x [T, B, D] -> hidden states [T, B, H].
 * The input and recurrent pre-activations are tapped separately (`name` and `name/h`, each
 * [T, B, 3H]) because the reset gate multiplies only the recurrent part of the candidate.
 */
export function gruForward(
  x: tf.Tensor3D,
  w: GruWeights,
  name: string,
  params: { W: string; U: string; bx: string; bh: string },
  rec?: TapRecorder,
): tf.Tensor3D {
  const [T, B, D] = x.shape;
  const H = w.U.shape[0];
  const tapX = rec?.taps.get(name);
  const tapH = rec?.taps.get(`${name}/h`);
  // The taps carry the bias values (see TapSpec), so they replace the bias adds.
  const gx = tf.add(tf.reshape(tf.matMul(tf.reshape(x, [T * B, D]), w.W), [T, B, 3 * H]), tapX ?? w.bx) as tf.Tensor3D;
  const gxs = tf.unstack(gx) as tf.Tensor2D[];
  const ths = tapH ? (tf.unstack(tapH) as tf.Tensor2D[]) : null;
  let h = tf.zeros([B, H]) as tf.Tensor2D;
  const prevs: tf.Tensor2D[] = [];
  const hs: tf.Tensor2D[] = [];
  for (let t = 0; t < T; t++) {
    prevs.push(h);
    const gh = tf.add(tf.matMul(h, w.U), ths ? ths[t]! : w.bh) as tf.Tensor2D;
    h = gruCell(gxs[t]!, gh, h);
    hs.push(h);
  }
  if (rec && tapX && tapH) {
    rec.uses.push({ kind: 'linear', param: params.W, tap: name, input: tf.keep(x) });
    rec.uses.push({ kind: 'bias', param: params.bx, tap: name });
    rec.uses.push({ kind: 'linear', param: params.U, tap: `${name}/h`, input: tf.keep(tf.stack(prevs) as tf.Tensor3D) });
    rec.uses.push({ kind: 'bias', param: params.bh, tap: `${name}/h` });
  }
  return tf.stack(hs) as tf.Tensor3D;
}
