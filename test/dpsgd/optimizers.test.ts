import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { useCpu } from './helpers.js';
import { Optimizer, type OptimizerConfig } from '../../src/dpsgd/optimizers.js';

beforeAll(useCpu);

/** Two steps on w = [1, -2] with gradients g1 = [0.5, 0.25], g2 = [-1, 2]; returns w after each. */
function run(config: OptimizerConfig, restoreBetween = false): number[][] {
  const w = tf.variable(tf.tensor1d([1, -2]));
  const params = new Map([['w', w]]);
  let opt = new Optimizer(config);
  const out: number[][] = [];
  for (const g of [[0.5, 0.25], [-1, 2]]) {
    const gt = tf.tensor1d(g);
    opt.apply(params, new Map([['w', gt]]));
    gt.dispose();
    out.push(Array.from(w.dataSync()));
    if (restoreBetween) {
      const json = JSON.parse(JSON.stringify(opt.toJSON()));
      opt.dispose();
      opt = Optimizer.fromJSON(json, params);
    }
  }
  opt.dispose();
  w.dispose();
  return out;
}

// Hand computations (float64), learning rate 0.1.
const cases: Array<[string, OptimizerConfig, number[][]]> = [
  ['sgd', { name: 'sgd', learningRate: 0.1 }, [[0.95, -2.025], [1.05, -2.225]]],
  // v1 = g1; v2 = 0.9 v1 + g2 = [-0.55, 2.225]
  ['momentum', { name: 'momentum', learningRate: 0.1, momentum: 0.9 }, [[0.95, -2.025], [1.005, -2.2475]]],
  // step 1: m^ = g, v^ = g^2, update = lr * g / (|g| + eps) ~ lr * sign(g)
  // step 2: m = 0.9*0.1*g1 + 0.1*g2 = [-0.055, 0.2225] -> m^ = m / 0.19 ; v = 0.999*0.001*g1^2 + 0.001*g2^2 -> v^ = v / (1 - 0.999^2)
  ['adam', { name: 'adam', learningRate: 0.1, epsilon: 0 }, (() => {
    const w1 = [1 - 0.1, -2 - 0.1];
    const m = [0.09 * 0.5 + 0.1 * -1, 0.09 * 0.25 + 0.1 * 2];
    const v = [0.999 * 0.001 * 0.25 + 0.001 * 1, 0.999 * 0.001 * 0.0625 + 0.001 * 4];
    const bc1 = 1 - 0.9 ** 2;
    const bc2 = 1 - 0.999 ** 2;
    return [w1, w1.map((x, k) => x - (0.1 * (m[k]! / bc1)) / Math.sqrt(v[k]! / bc2))];
  })()],
  // s1 = 0.1 g1^2; s2 = 0.9 s1 + 0.1 g2^2
  ['rmsprop', { name: 'rmsprop', learningRate: 0.1, rho: 0.9, epsilon: 0 }, (() => {
    const s1 = [0.1 * 0.25, 0.1 * 0.0625];
    const w1 = [1 - (0.1 * 0.5) / Math.sqrt(s1[0]!), -2 - (0.1 * 0.25) / Math.sqrt(s1[1]!)];
    const s2 = [0.9 * s1[0]! + 0.1 * 1, 0.9 * s1[1]! + 0.1 * 4];
    return [w1, [w1[0]! + 0.1 / Math.sqrt(s2[0]!), w1[1]! - 0.2 / Math.sqrt(s2[1]!)]];
  })()],
  // weight decay: g += 0.5 w; step 1: g = [1, -0.75] -> w = [0.9, -1.925]; step 2: g = [-1 + 0.45, 2 - 0.9625]
  ['sgd + weight decay', { name: 'sgd', learningRate: 0.1, weightDecay: 0.5 }, [[0.9, -1.925], [0.955, -2.02875]]],
];

describe('optimizers against hand-computed updates', () => {
  it.each(cases)('%s', (_n, config, expected) => {
    const got = run(config);
    for (let s = 0; s < 2; s++) for (let k = 0; k < 2; k++) expect(got[s]![k]).toBeCloseTo(expected[s]![k]!, 5);
  });
  it.each(cases)('%s state survives a JSON round trip bit for bit', (_n, config) => {
    expect(run(config, true)).toEqual(run(config));
  });
  it('rejects a bad configuration', () => {
    expect(() => new Optimizer({ name: 'sgd', learningRate: -1 })).toThrow(/learning rate/);
    expect(() => new Optimizer({ name: 'nesterov' as 'sgd', learningRate: 1 })).toThrow(/optimizer/);
  });
});
