import * as tf from '@tensorflow/tfjs-core';
import { InternalError, InvalidArgumentError } from '../util/errors.js';
import type { RandomSource } from '../util/random.js';
import { denseForward } from './layers/dense.js';
import { embeddingForward } from './layers/embedding.js';
import { gruForward } from './layers/gru.js';
import { lstmForward } from './layers/lstm.js';
import type { DropoutMasks, TapRecorder, TapSpec } from './layers/types.js';
import { CELL_NAMES, type CellName } from './cell-names.js';
import {
  transformerDropoutSites,
  transformerForward,
  transformerInitialValues,
  transformerParameterShapes,
  transformerTapSpecs,
  type TransformerShape,
} from './transformer.js';

export { CELL_NAMES, type CellName } from './cell-names.js';

/** Shape of a language model: embedding -> `layers` recurrent layers or transformer blocks -> dense softmax output. */
export interface LanguageModelConfig {
  /** Number of token ids (ids 0 .. vocabSize-1), >= 2. */
  readonly vocabSize: number;
  /** Embedding width; for a transformer it equals hiddenSize. */
  readonly embeddingDim: number;
  /** Recurrent state size, or a transformer's model width d. */
  readonly hiddenSize: number;
  /** Number of stacked recurrent layers or transformer blocks, >= 1. */
  readonly layers: number;
  readonly cell: CellName;
  /** Dropout rate in [0, 1) on the non-recurrent connections (recurrent), or the embeddings and residual branches (transformer). */
  readonly dropout: number;
  /** Transformer only: attention heads (>= 1, dividing hiddenSize). */
  readonly heads?: number;
  /** Transformer only: the MLP's hidden width (>= 1). */
  readonly ffnSize?: number;
  /** Transformer only: rows of the position table, the longest input (>= 1). */
  readonly maxLength?: number;
}

/** Checks a config and throws InvalidArgumentError on the first bad field. */
export function validateConfig(c: LanguageModelConfig): LanguageModelConfig {
  const posInt = (v: unknown, name: string, min: number): void => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      throw new InvalidArgumentError(`model ${name} must be an integer >= ${min}, got ${String(v)}.`);
    }
  };
  posInt(c.vocabSize, 'vocabSize', 2);
  posInt(c.embeddingDim, 'embeddingDim', 1);
  posInt(c.hiddenSize, 'hiddenSize', 1);
  posInt(c.layers, 'layers', 1);
  if (!(CELL_NAMES as readonly string[]).includes(c.cell)) throw new InvalidArgumentError(`model cell must be one of ${CELL_NAMES.join(', ')}, got ${String(c.cell)}.`);
  if (typeof c.dropout !== 'number' || !(c.dropout >= 0 && c.dropout < 1)) {
    throw new InvalidArgumentError(`model dropout must be in [0, 1), got ${String(c.dropout)}.`);
  }
  const base = { vocabSize: c.vocabSize, embeddingDim: c.embeddingDim, hiddenSize: c.hiddenSize, layers: c.layers, cell: c.cell, dropout: c.dropout };
  if (c.cell !== 'transformer') return base;
  posInt(c.heads, 'heads', 1);
  posInt(c.ffnSize, 'ffnSize', 1);
  posInt(c.maxLength, 'maxLength', 1);
  if (c.hiddenSize % c.heads! !== 0) throw new InvalidArgumentError(`transformer heads (${c.heads}) must divide hiddenSize (${c.hiddenSize}).`);
  if (c.embeddingDim !== c.hiddenSize) throw new InvalidArgumentError(`transformer embeddingDim (${c.embeddingDim}) must equal hiddenSize (${c.hiddenSize}).`);
  return { ...base, heads: c.heads, ffnSize: c.ffnSize, maxLength: c.maxLength };
}

/** The transformer shape of a validated transformer config. */
function transformerShape(c: LanguageModelConfig): TransformerShape {
  return { vocabSize: c.vocabSize, hiddenSize: c.hiddenSize, layers: c.layers, heads: c.heads!, ffnSize: c.ffnSize!, maxLength: c.maxLength! };
}

/** Parameter names and shapes of a config, in a fixed order (the order of the save format). */
export function parameterShapes(c: LanguageModelConfig): Array<{ name: string; shape: number[] }> {
  if (c.cell === 'transformer') return transformerParameterShapes(transformerShape(c));
  const out: Array<{ name: string; shape: number[] }> = [{ name: 'embedding/table', shape: [c.vocabSize, c.embeddingDim] }];
  const gates = c.cell === 'lstm' ? 4 : 3;
  for (let l = 0; l < c.layers; l++) {
    const d = l === 0 ? c.embeddingDim : c.hiddenSize;
    out.push({ name: `rnn${l}/W`, shape: [d, gates * c.hiddenSize] });
    out.push({ name: `rnn${l}/U`, shape: [c.hiddenSize, gates * c.hiddenSize] });
    if (c.cell === 'lstm') out.push({ name: `rnn${l}/b`, shape: [gates * c.hiddenSize] });
    else {
      out.push({ name: `rnn${l}/bx`, shape: [gates * c.hiddenSize] });
      out.push({ name: `rnn${l}/bh`, shape: [gates * c.hiddenSize] });
    }
  }
  out.push({ name: 'output/W', shape: [c.hiddenSize, c.vocabSize] });
  out.push({ name: 'output/b', shape: [c.vocabSize] });
  return out;
}

function initialValues(c: LanguageModelConfig, name: string, shape: number[], random: RandomSource): Float32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  if (c.cell === 'transformer') return transformerInitialValues(transformerShape(c), name, size, random);
  const v = new Float32Array(size);
  const H = c.hiddenSize;
  let limit: number;
  if (name === 'embedding/table') limit = 0.1;
  else if (name === 'output/W') limit = Math.sqrt(6 / (shape[0]! + shape[1]!)); // Glorot uniform
  else if (name === 'output/b') limit = 0;
  else limit = 1 / Math.sqrt(H); // PyTorch's RNN default U(-1/sqrt(H), 1/sqrt(H))
  for (let k = 0; k < size; k++) v[k] = (2 * random.uniform() - 1) * limit;
  // LSTM forget-gate bias 1 (Jozefowicz et al. 2015) so memory is kept early in training.
  if (c.cell === 'lstm' && /^rnn\d+\/b$/.test(name)) {
    v.fill(0);
    v.fill(1, H, 2 * H);
  }
  return v;
}

/**
 * A character- or word-level recurrent language model on tfjs ops, time-major.
 * Parameters are tf.Variables keyed by name (see `parameterShapes`).
 */
export class LanguageModel {
  readonly config: LanguageModelConfig;
  readonly params: Map<string, tf.Variable>;

  private constructor(config: LanguageModelConfig, params: Map<string, tf.Variable>) {
    this.config = config;
    this.params = params;
  }

  /** A freshly initialised model; initial weights come from `random`. */
  static create(config: LanguageModelConfig, random: RandomSource): LanguageModel {
    const c = validateConfig(config);
    const params = new Map<string, tf.Variable>();
    for (const { name, shape } of parameterShapes(c)) {
      params.set(name, newVariable(initialValues(c, name, shape, random), shape, name));
    }
    return new LanguageModel(c, params);
  }

  /** A model with the given weights (copied); every parameter of the config must be present with its shape. */
  static fromWeights(config: LanguageModelConfig, weights: ReadonlyMap<string, Float32Array>): LanguageModel {
    const c = validateConfig(config);
    const params = new Map<string, tf.Variable>();
    for (const { name, shape } of parameterShapes(c)) {
      const data = weights.get(name);
      const size = shape.reduce((a, b) => a * b, 1);
      if (!data || data.length !== size) {
        for (const v of params.values()) v.dispose();
        throw new InvalidArgumentError(`model weights: parameter ${name} is missing or has ${data?.length ?? 0} values instead of ${size}.`);
      }
      params.set(name, newVariable(data, shape, name));
    }
    return new LanguageModel(c, params);
  }

  param(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new InternalError(`no parameter ${name}`);
    return v;
  }

  /** Total number of scalar parameters. */
  get size(): number {
    let n = 0;
    for (const v of this.params.values()) n += v.size;
    return n;
  }

  /** Taps of a forward pass over T steps and B examples, in forward order. */
  tapSpecs(T: number, B: number): TapSpec[] {
    const c = this.config;
    if (c.cell === 'transformer') return transformerTapSpecs(transformerShape(c), T, B);
    const g = c.cell === 'lstm' ? 4 : 3;
    const out: TapSpec[] = [{ name: 'embedding', shape: [T, B, c.embeddingDim] }];
    for (let l = 0; l < c.layers; l++) {
      if (c.cell === 'lstm') out.push({ name: `rnn${l}`, shape: [T, B, g * c.hiddenSize], bias: `rnn${l}/b` });
      else {
        out.push({ name: `rnn${l}`, shape: [T, B, g * c.hiddenSize], bias: `rnn${l}/bx` });
        out.push({ name: `rnn${l}/h`, shape: [T, B, g * c.hiddenSize], bias: `rnn${l}/bh` });
      }
    }
    out.push({ name: 'output', shape: [T, B, c.vocabSize], bias: 'output/b' });
    return out;
  }

  /**
   * Dropout sites: `in{l}` is the input of recurrent layer l; `in{layers}` the input of the
   * output layer (a transformer's: see transformerDropoutSites).
   */
  dropoutSites(T: number, B: number): Array<{ name: string; shape: [number, number, number] }> {
    const c = this.config;
    if (c.cell === 'transformer') return transformerDropoutSites(transformerShape(c), T, B);
    const out: Array<{ name: string; shape: [number, number, number] }> = [];
    for (let l = 0; l <= c.layers; l++) out.push({ name: `in${l}`, shape: [T, B, l === 0 ? c.embeddingDim : c.hiddenSize] });
    return out;
  }

  /**
   * Logits [T, B, V] for input ids [T, B] (int32). With `rec`, taps are added and what
   * per-example gradients need is recorded; `dropout` masks (training only) multiply the
   * inputs of each recurrent layer and of the output layer.
   */
  forward(ids: tf.Tensor2D, opts: { rec?: TapRecorder; dropout?: DropoutMasks } = {}): tf.Tensor3D {
    const c = this.config;
    if (c.cell === 'transformer') return transformerForward(transformerShape(c), (name) => this.param(name), ids, opts);
    const { rec, dropout } = opts;
    const drop = (x: tf.Tensor3D, site: string): tf.Tensor3D => {
      const m = dropout?.get(site);
      return m ? (tf.mul(x, m) as tf.Tensor3D) : x;
    };
    let x = embeddingForward(this.param('embedding/table') as tf.Tensor2D, ids, 'embedding', 'embedding/table', rec);
    for (let l = 0; l < c.layers; l++) {
      x = drop(x, `in${l}`);
      if (c.cell === 'lstm') {
        const names = { W: `rnn${l}/W`, U: `rnn${l}/U`, b: `rnn${l}/b` };
        x = lstmForward(
          x,
          { W: this.param(names.W) as tf.Tensor2D, U: this.param(names.U) as tf.Tensor2D, b: this.param(names.b) as tf.Tensor1D },
          `rnn${l}`,
          names,
          rec,
        );
      } else {
        const names = { W: `rnn${l}/W`, U: `rnn${l}/U`, bx: `rnn${l}/bx`, bh: `rnn${l}/bh` };
        x = gruForward(
          x,
          {
            W: this.param(names.W) as tf.Tensor2D,
            U: this.param(names.U) as tf.Tensor2D,
            bx: this.param(names.bx) as tf.Tensor1D,
            bh: this.param(names.bh) as tf.Tensor1D,
          },
          `rnn${l}`,
          names,
          rec,
        );
      }
    }
    x = drop(x, `in${c.layers}`);
    return denseForward(x, this.param('output/W') as tf.Tensor2D, this.param('output/b') as tf.Tensor1D, 'output', { w: 'output/W', b: 'output/b' }, rec);
  }

  /** Copies of the current weights by name. */
  weights(): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const [name, v] of this.params) out.set(name, new Float32Array(v.dataSync()));
    return out;
  }

  /** Overwrite the weights (same names and sizes). */
  setWeights(weights: ReadonlyMap<string, Float32Array>): void {
    for (const [name, v] of this.params) {
      const data = weights.get(name);
      if (!data || data.length !== v.size) throw new InvalidArgumentError(`weights: parameter ${name} is missing or has the wrong size.`);
      tf.tidy(() => v.assign(tf.tensor(data, v.shape, 'float32')));
    }
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }
}

// Variable names must be unique per tfjs engine; several models can coexist.
let nextId = 0;

/** A trainable variable holding a copy of `data` (the temporary tensor is released). */
function newVariable(data: Float32Array, shape: number[], name: string): tf.Variable {
  const t = tf.tensor(data, shape, 'float32');
  const v = tf.variable(t, true, `${name}-${nextId++}`);
  t.dispose();
  return v;
}
