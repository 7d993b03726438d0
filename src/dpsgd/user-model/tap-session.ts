import * as tf from '@tensorflow/tfjs-core';
import type { ParamUse, TapGradients } from '../per-example/types.js';
import type { RuleContext } from './types.js';
import { InternalError } from '../../util/errors.js';

/**
 * Records one forward pass with captured pre-activations. Each captured z becomes z + s, where
 * s is a scalar zero that the loss is differentiated by: every capture then lies on the path
 * from s to the loss, so tfjs back-propagates to each of them (and to nothing below the first),
 * forming no weight gradient; a custom gradient keeps dL/dz as it passes through. After the
 * backward pass it is the per-example engine's input (batch-major).
 */
export class TapSession implements RuleContext, TapGradients {
  readonly layout = 'batch-major';
  readonly uses: ParamUse[] = [];
  /** dL/dz by tap name as [B, T, P] (T = all middle axes), filled during the backward pass (kept tensors). */
  readonly grads = new Map<string, tf.Tensor3D>();
  private nextTap = 0;

  constructor(private readonly s: tf.Scalar, readonly training: boolean) {}

  capture(z: tf.Tensor): { value: tf.Tensor; tap: string } {
    const tap = String(this.nextTap++);
    const shift = tf.customGrad((zz, ss) => ({
      value: tf.add(zz as tf.Tensor, ss as tf.Tensor),
      gradFunc: (dy: tf.Tensor) => {
        // A tap is consumed once, so dy is its whole gradient.
        this.grads.set(tap, tf.keep(tf.reshape(dy, [dy.shape[0]!, -1, dy.shape[dy.rank - 1]!])));
        return [dy, tf.sum(dy)];
      },
    }));
    return { value: shift(z, this.s), tap };
  }

  use(u: ParamUse): void {
    // Clones (sharing data) so that disposing them never frees a caller's tensor, e.g. the model input.
    if (u.kind === 'linear' || u.kind === 'scale') this.uses.push({ ...u, input: tf.keep(tf.clone(u.input)) });
    else if (u.kind === 'embedding') this.uses.push({ ...u, ids: tf.keep(tf.clone(u.ids)) });
    else this.uses.push(u);
  }

  /**
   * Regroups the recorded pass so that each of `units` groups of consecutive rows (unit-major,
   * k = B / units rows each) is one example: gradients [B, T, P] -> [U, k T, P], inputs
   * [B, T, D] -> [U, k T, D], ids [B, T] -> [U, k T] (free reshapes). Call after the backward pass.
   */
  groupRows(units: number): void {
    // Features stay last; everything between the batch and them becomes the unit's positions.
    const regroup = <T extends tf.Tensor>(x: T, features: boolean): T => {
      const B = x.shape[0];
      if (B % units !== 0) throw new InternalError(`${B} rows are not ${units} units of equal size`);
      const y = tf.keep(tf.reshape(x, features ? [units, -1, x.shape[x.rank - 1]!] : [units, -1])) as T;
      x.dispose();
      return y;
    };
    for (const [tap, g] of this.grads) this.grads.set(tap, regroup(g, true));
    this.uses.forEach((u, j) => {
      if (u.kind === 'linear' || u.kind === 'scale') this.uses[j] = { ...u, input: regroup(u.input, true) };
      else if (u.kind === 'embedding') this.uses[j] = { ...u, ids: regroup(u.ids, false) };
    });
  }

  dispose(): void {
    for (const u of this.uses) {
      if (u.kind === 'linear' || u.kind === 'scale') u.input.dispose();
      if (u.kind === 'embedding') u.ids.dispose();
    }
    tf.dispose([...this.grads.values()]);
    this.grads.clear();
    this.uses.length = 0;
  }
}
