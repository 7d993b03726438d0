import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../util/errors.js';
import { decodeFloat32, encodeFloat32 } from './model-io.js';
import { OPTIMIZER_NAMES, isOptimizerName, type OptimizerName } from './optimizer-names.js';

export { OPTIMIZER_NAMES, isOptimizerName, type OptimizerName };

/**
 * Optimizer settings. Updates (g = the private gradient, plus weightDecay * w when set):
 * - sgd:      w -= lr g
 * - momentum: v = momentum v + g;  w -= lr v
 * - adam:     m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;  w -= lr m^ / (sqrt(v^) + eps), with
 *             bias corrections m^ = m / (1 - b1^t), v^ = v / (1 - b2^t) (Kingma & Ba 2015)
 * - rmsprop:  s = rho s + (1-rho) g^2;  w -= lr g / (sqrt(s) + eps)
 * These act on the already privatized gradient, so they cost no privacy.
 */
export interface OptimizerConfig {
  readonly name: OptimizerName;
  readonly learningRate: number;
  /** momentum coefficient (default 0.9). */
  readonly momentum?: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly rho?: number;
  readonly epsilon?: number;
  /** L2 weight decay coefficient (default 0). */
  readonly weightDecay?: number;
}

export interface OptimizerJson {
  config: OptimizerConfig;
  iterations: number;
  /** slots[param][slot] = base64 float32 (see model-io.ts). */
  slots: Record<string, Record<string, string>>;
}

const SLOTS: Record<OptimizerName, string[]> = { sgd: [], momentum: ['v'], adam: ['m', 'v'], rmsprop: ['s'] };

export function validateOptimizerConfig(c: OptimizerConfig): OptimizerConfig {
  if (!isOptimizerName(c.name)) throw new InvalidArgumentError(`optimizer must be one of ${OPTIMIZER_NAMES.join(', ')}; got ${String(c.name)}.`);
  if (!(Number.isFinite(c.learningRate) && c.learningRate > 0)) throw new InvalidArgumentError(`learning rate must be a positive number, got ${c.learningRate}.`);
  const inUnit = (v: number | undefined, name: string): void => {
    if (v !== undefined && !(v >= 0 && v < 1)) throw new InvalidArgumentError(`${name} must be in [0, 1), got ${v}.`);
  };
  inUnit(c.momentum, 'momentum');
  inUnit(c.beta1, 'beta1');
  inUnit(c.beta2, 'beta2');
  inUnit(c.rho, 'rho');
  if (c.weightDecay !== undefined && !(c.weightDecay >= 0)) throw new InvalidArgumentError(`weight decay must be >= 0, got ${c.weightDecay}.`);
  return c;
}

/** Applies private gradients to model variables; its state serialises to JSON. */
export class Optimizer {
  readonly config: OptimizerConfig;
  private iterations = 0;
  private readonly slots = new Map<string, Map<string, tf.Variable>>();

  constructor(config: OptimizerConfig) {
    this.config = validateOptimizerConfig(config);
  }

  get steps(): number {
    return this.iterations;
  }

  private slot(param: string, name: string, like: tf.Tensor): tf.Variable {
    let m = this.slots.get(param);
    if (!m) this.slots.set(param, (m = new Map()));
    let v = m.get(name);
    if (!v) {
      const zeros = tf.zerosLike(like);
      v = tf.variable(zeros, false);
      zeros.dispose();
      m.set(name, v);
    }
    return v;
  }

  /** One update of every parameter that has a gradient in `grads` (same shapes). */
  apply(params: ReadonlyMap<string, tf.Variable>, grads: ReadonlyMap<string, tf.Tensor>): void {
    const c = this.config;
    this.iterations += 1;
    const t = this.iterations;
    const lr = c.learningRate;
    for (const [name, w] of params) {
      const g0 = grads.get(name);
      if (!g0) continue;
      tf.tidy(() => {
        const g = c.weightDecay ? tf.add(g0, tf.mul(w, c.weightDecay)) : g0;
        switch (c.name) {
          case 'sgd':
            w.assign(tf.sub(w, tf.mul(g, lr)));
            break;
          case 'momentum': {
            const v = this.slot(name, 'v', w);
            v.assign(tf.add(tf.mul(v, c.momentum ?? 0.9), g));
            w.assign(tf.sub(w, tf.mul(v, lr)));
            break;
          }
          case 'adam': {
            const b1 = c.beta1 ?? 0.9;
            const b2 = c.beta2 ?? 0.999;
            const eps = c.epsilon ?? 1e-8;
            const m = this.slot(name, 'm', w);
            const v = this.slot(name, 'v', w);
            m.assign(tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1)));
            v.assign(tf.add(tf.mul(v, b2), tf.mul(tf.square(g), 1 - b2)));
            const mHat = tf.div(m, 1 - b1 ** t);
            const vHat = tf.div(v, 1 - b2 ** t);
            w.assign(tf.sub(w, tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), eps)), lr)));
            break;
          }
          case 'rmsprop': {
            const rho = c.rho ?? 0.9;
            const eps = c.epsilon ?? 1e-7;
            const s = this.slot(name, 's', w);
            s.assign(tf.add(tf.mul(s, rho), tf.mul(tf.square(g), 1 - rho)));
            w.assign(tf.sub(w, tf.mul(tf.div(g, tf.add(tf.sqrt(s), eps)), lr)));
            break;
          }
        }
      });
    }
  }

  toJSON(): OptimizerJson {
    const slots: Record<string, Record<string, string>> = {};
    for (const [param, m] of this.slots) {
      slots[param] = {};
      for (const [name, v] of m) slots[param]![name] = encodeFloat32(v.dataSync() as Float32Array);
    }
    return { config: { ...this.config }, iterations: this.iterations, slots };
  }

  /** Restore from toJSON() output; slot shapes come from the model's parameters. */
  static fromJSON(json: OptimizerJson, params: ReadonlyMap<string, tf.Variable>): Optimizer {
    const opt = new Optimizer(json.config);
    if (!Number.isInteger(json.iterations) || json.iterations < 0) throw new InvalidArgumentError('optimizer state has an invalid iteration count.');
    opt.iterations = json.iterations;
    for (const [param, m] of Object.entries(json.slots ?? {})) {
      const w = params.get(param);
      if (!w) throw new InvalidArgumentError(`optimizer state names unknown parameter ${param}.`);
      for (const [name, data] of Object.entries(m)) {
        if (!SLOTS[opt.config.name].includes(name)) throw new InvalidArgumentError(`optimizer state has unknown slot ${name}.`);
        const values = decodeFloat32(data, w.size, `optimizer slot ${param}/${name}`);
        const v = opt.slot(param, name, w);
        tf.tidy(() => v.assign(tf.tensor(values, w.shape, 'float32')));
      }
    }
    return opt;
  }

  dispose(): void {
    for (const m of this.slots.values()) for (const v of m.values()) v.dispose();
    this.slots.clear();
  }
}
