/**
 * Model file format (JSON, one file, written atomically):
 *
 * ```json
 * { "format": "dp-canary-model", "version": 1,
 *   "config": { "vocabSize": 64, "embeddingDim": 32, "hiddenSize": 128, "layers": 1, "cell": "lstm", "dropout": 0 },
 *   "weights": [ { "name": "embedding/table", "shape": [64, 32], "dtype": "float32", "data": "<base64>" }, ... ] }
 * ```
 * `data` is the base64 of the little-endian float32 values in row-major order, so a save/load
 * round trip is bit-exact. Parameter names and shapes: see `parameterShapes` in model.ts.
 * Any extra metadata (tokenizer, privacy report) goes under an optional "meta" key.
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from '../util/errors.js';
import { writeJsonAtomic } from '../util/atomic-write.js';
import { LanguageModel, type LanguageModelConfig, validateConfig } from './model.js';

export interface SavedTensor {
  name: string;
  shape: number[];
  dtype: 'float32';
  data: string;
}

export interface ModelJson {
  format: 'dp-canary-model';
  version: 1;
  config: LanguageModelConfig;
  weights: SavedTensor[];
  meta?: unknown;
}

/** Base64 of float32 values, little-endian (bit-exact). */
export function encodeFloat32(values: Float32Array): string {
  const le = new Float32Array(values); // copy: the buffer may be shared or offset
  return Buffer.from(le.buffer, le.byteOffset, le.byteLength).toString('base64');
}

/** Inverse of encodeFloat32; throws InvalidArgumentError when the length does not match. */
export function decodeFloat32(data: string, expected: number, what: string): Float32Array {
  const bytes = Buffer.from(data, 'base64');
  if (bytes.length !== expected * 4) throw new InvalidArgumentError(`${what}: expected ${expected} float32 values, found ${bytes.length / 4}.`);
  const out = new Float32Array(expected);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

export function modelToJson(model: LanguageModel, meta?: unknown): ModelJson {
  const weights: SavedTensor[] = [];
  for (const [name, v] of model.params) {
    weights.push({ name, shape: [...v.shape], dtype: 'float32', data: encodeFloat32(v.dataSync() as Float32Array) });
  }
  return { format: 'dp-canary-model', version: 1, config: { ...model.config }, weights, ...(meta === undefined ? {} : { meta }) };
}

export function modelFromJson(value: unknown): LanguageModel {
  const v = value as Partial<ModelJson> | null;
  if (!v || typeof v !== 'object' || v.format !== 'dp-canary-model') throw new InvalidArgumentError('not a dp-canary model file (format is not "dp-canary-model").');
  if (v.version !== 1) throw new InvalidArgumentError(`unsupported model file version ${String(v.version)} (this build reads version 1).`);
  if (!v.config || !Array.isArray(v.weights)) throw new InvalidArgumentError('model file lacks "config" or "weights".');
  const config = validateConfig(v.config);
  const weights = new Map<string, Float32Array>();
  for (const w of v.weights) {
    if (!w || typeof w.name !== 'string' || !Array.isArray(w.shape) || typeof w.data !== 'string') throw new InvalidArgumentError('model file has a malformed weight entry.');
    weights.set(w.name, decodeFloat32(w.data, w.shape.reduce((a, b) => a * b, 1), `weight ${w.name}`));
  }
  return LanguageModel.fromWeights(config, weights);
}

/**
 * Write a model file atomically.
 *
 * ```ts
 * import { LanguageModel, initBackend, makeWindows } from 'dp-canary/dpsgd';
 * import { seededRandom } from 'dp-canary/canary';
 * await initBackend();
 * const model = LanguageModel.create({ vocabSize: 5, embeddingDim: 4, hiddenSize: 8, layers: 1, cell: 'lstm', dropout: 0 }, seededRandom(1));
 * const windows = makeWindows(Array.from({ length: 80 }, (_, i) => i % 5), 7); // 10 windows of 8 tokens
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { loadModel, saveModel } from 'dp-canary/dpsgd';
 * const path = join(tmpdir(), `dp-canary-example-${process.pid}.json`);
 * saveModel(path, model, { note: 'any JSON' });
 * loadModel(path).meta; // { note: 'any JSON' }
 * ```
 */
export function saveModel(path: string, model: LanguageModel, meta?: unknown): void {
  writeJsonAtomic(path, modelToJson(model, meta));
}

/**
 * Read a model file; InvalidArgumentError when the file is missing or malformed.
 *
 * ```ts
 * import { LanguageModel, initBackend, makeWindows } from 'dp-canary/dpsgd';
 * import { seededRandom } from 'dp-canary/canary';
 * await initBackend();
 * const model = LanguageModel.create({ vocabSize: 5, embeddingDim: 4, hiddenSize: 8, layers: 1, cell: 'lstm', dropout: 0 }, seededRandom(1));
 * const windows = makeWindows(Array.from({ length: 80 }, (_, i) => i % 5), 7); // 10 windows of 8 tokens
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { loadModel, saveModel } from 'dp-canary/dpsgd';
 * const path = join(tmpdir(), `dp-canary-example-${process.pid}.json`);
 * saveModel(path, model);
 * const { model: again } = loadModel(path);
 * again.config.vocabSize; // 5
 * ```
 */
export function loadModel(path: string): { model: LanguageModel; meta: unknown } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new InvalidArgumentError(`cannot read model file ${path}.`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new InvalidArgumentError(`model file ${path} is not valid JSON.`);
  }
  return { model: modelFromJson(json), meta: (json as { meta?: unknown }).meta };
}
