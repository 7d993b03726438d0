import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomWindows, tinyModel, useCpu } from './helpers.js';
import { loadModel, saveModel } from '../../src/dpsgd/model-io.js';
import { makeWindows, makeBatch } from '../../src/dpsgd/data.js';
import { InvalidArgumentError } from '../../src/util/errors.js';

beforeAll(useCpu);

describe('model files', () => {
  it.each(['lstm', 'gru'] as const)('%s: save/load round trip is bit-exact (weights and outputs)', (cell) => {
    const dir = mkdtempSync(join(tmpdir(), 'dpsgd-io-'));
    const model = tinyModel({ cell, layers: 2, dropout: 0.25 });
    saveModel(join(dir, 'm.json'), model, { note: 'x' });
    const { model: back, meta } = loadModel(join(dir, 'm.json'));
    expect(back.config).toEqual(model.config);
    expect(meta).toEqual({ note: 'x' });
    for (const [name, w] of model.weights()) expect(back.weights().get(name)).toEqual(w);
    const b = makeBatch(randomWindows(3, 4, 7), [0, 1, 2], 7);
    expect(back.forward(b.inputs).dataSync()).toEqual(model.forward(b.inputs).dataSync());
    tf.dispose([b.inputs, b.targets]);
  });

  it('rejects missing, malformed and truncated files with an InvalidArgumentError', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dpsgd-io-'));
    expect(() => loadModel(join(dir, 'none.json'))).toThrow(InvalidArgumentError);
    writeFileSync(join(dir, 'bad.json'), '{"format":"other"}');
    expect(() => loadModel(join(dir, 'bad.json'))).toThrow(InvalidArgumentError);
    const model = tinyModel();
    saveModel(join(dir, 'm.json'), model);
    const json = JSON.parse(readFileSync(join(dir, 'm.json'), 'utf8'));
    json.weights[0].data = json.weights[0].data.slice(0, 8);
    writeFileSync(join(dir, 'cut.json'), JSON.stringify(json));
    expect(() => loadModel(join(dir, 'cut.json'))).toThrow(InvalidArgumentError);
  });
});

describe('makeWindows', () => {
  it('cuts disjoint windows of seqLen + 1 tokens and drops the remainder', () => {
    const w = makeWindows(Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7]), 2);
    expect(w.map((x) => Array.from(x))).toEqual([[0, 1, 2], [3, 4, 5]]);
    expect(() => makeWindows([1, 2], 0)).toThrow(InvalidArgumentError);
  });
  it('makeBatch is time-major with targets shifted by one', () => {
    const b = makeBatch([[1, 2, 3], [4, 5, 6]], [1, 0], 7);
    expect(b.inputs.shape).toEqual([2, 2]);
    expect(Array.from(b.inputs.dataSync())).toEqual([4, 1, 5, 2]);
    expect(Array.from(b.targets.dataSync())).toEqual([5, 2, 6, 3]);
    expect(() => makeBatch([[1, 9]], [0], 7)).toThrow(InvalidArgumentError);
  });
});
