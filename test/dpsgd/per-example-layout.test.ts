import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { clippingFixture, relErr, useCpu } from './helpers.js';
import { makeBatch } from '../../src/dpsgd/data.js';
import { forwardWithTaps } from '../../src/dpsgd/taps.js';
import { clipPass, weightedGradientSums } from '../../src/dpsgd/per-example/clip.js';
import { clipMaterialized, materializedPerExampleGradients } from '../../src/dpsgd/per-example/reference.js';
import type { NormMethod, ParamUse, TapGradients } from '../../src/dpsgd/per-example/types.js';
import type { LanguageModelConfig } from '../../src/dpsgd/model.js';

beforeAll(useCpu);

const TOL = 1e-5;

/** The same pass batch-major: every tap, input and ids transposed [T, B, .] -> [B, T, .]. */
function toBatchMajor(pass: TapGradients): TapGradients {
  const uses: ParamUse[] = pass.uses.map((u) => {
    if (u.kind === 'linear' || u.kind === 'scale') return { ...u, input: tf.transpose(u.input, [1, 0, 2]) };
    if (u.kind === 'embedding') return { ...u, ids: tf.transpose(u.ids) };
    return u;
  });
  const grads = new Map([...pass.grads].map(([k, g]) => [k, tf.transpose(g, [1, 0, 2])] as const));
  return { layout: 'batch-major', uses, grads };
}

/** Every `linear` use split into two column blocks of its tap and weight (as a GRU's U is). */
function splitColumns(pass: TapGradients): TapGradients {
  const uses = pass.uses.flatMap((u): ParamUse[] => {
    if (u.kind !== 'linear') return [u];
    const P = pass.grads.get(u.tap)!.shape[2];
    const h = Math.floor(P / 3);
    return [
      { ...u, tapColumns: [h, P], paramColumns: [h, P] },
      { ...u, tapColumns: [0, h], paramColumns: [0, h] },
    ];
  });
  return { ...pass, uses };
}

function disposeCopy(pass: TapGradients): void {
  for (const u of pass.uses) {
    if (u.kind === 'linear' || u.kind === 'scale') u.input.dispose();
    if (u.kind === 'embedding') u.ids.dispose();
  }
  tf.dispose([...pass.grads.values()]);
}

const cases: Array<[string, Partial<LanguageModelConfig>]> = [
  ['LSTM', { cell: 'lstm' }],
  ['GRU (2 layers)', { cell: 'gru', layers: 2 }],
  ['transformer', { cell: 'transformer', embeddingDim: 8, hiddenSize: 8, heads: 2, ffnSize: 12, layers: 1, maxLength: 6 }],
];

describe.each(cases)('one engine for both layouts: %s', (_label, config) => {
  const T = 5;
  const B = 6;
  const { model, windows, brute, clip, bruteClipped } = clippingFixture(config, T, B);

  it.each(['ghost', 'materialize', 'auto'] as NormMethod[])(
    'batch-major taps and column blocks give the brute-force norms and clipped sums (%s)',
    (method) => {
      const batch = makeBatch(windows, Array.from({ length: B }, (_, i) => i), model.config.vocabSize);
      const pass = forwardWithTaps(model, batch.inputs, batch.targets);
      const bm = toBatchMajor(pass);
      for (const p of [bm, splitColumns(pass), splitColumns(bm)]) {
        const r = clipPass(p, clip, method);
        expect(relErr(Array.from(r.squaredNorms.dataSync(), Math.sqrt), brute.norms)).toBeLessThan(TOL);
        for (const name of model.params.keys()) expect(relErr(r.sums.get(name)!.dataSync(), bruteClipped.sums.get(name)!), name).toBeLessThan(TOL);
        tf.dispose([r.squaredNorms, ...r.sums.values()]);
      }
      // Unclipped sums (every c_i = 1) batch-major: the plain gradient.
      const plain = weightedGradientSums(splitColumns(bm), null);
      for (const name of model.params.keys()) expect(relErr(plain.get(name)!.dataSync(), brute.sums.get(name)!), name).toBeLessThan(TOL);
      tf.dispose([...plain.values()]);
      // The materialised reference reads batch-major taps too.
      const ref = clipMaterialized(materializedPerExampleGradients(bm), clip);
      expect(relErr(Array.from(ref.squaredNorms.dataSync(), Math.sqrt), brute.norms)).toBeLessThan(TOL);
      tf.dispose([ref.squaredNorms, ...ref.sums.values()]);
      disposeCopy(bm);
      pass.dispose();
      tf.dispose([batch.inputs, batch.targets]);
    },
  );
});
