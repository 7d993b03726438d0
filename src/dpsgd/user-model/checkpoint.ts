/**
 * Checkpoint of a user-model DP run (one JSON file, one atomic rename):
 * `{ format: "dp-canary-fit-checkpoint", version: 1, step, weights: [{name, shape, data}],
 *   optimizer: [{name, shape, data}], ledger, random: {kind, state}, settings }`
 * (data: float32 little-endian, base64; weights in model.weights order). Weights, optimizer state,
 * ledger and step agree.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { existsSync, readFileSync } from 'node:fs';
import { InvalidArgumentError } from '../../util/errors.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import type { SeededState } from '../../util/random.js';
import { decodeFloat32, encodeFloat32 } from '../model-io.js';
import type { RunPlan } from '../run-plan.js';

export interface SavedArray {
  name: string;
  shape: number[];
  data: string;
}

/** A fit checkpoint's record of the run plan (its own field names, kept so older checkpoints resume). */
export interface FitSettings {
  readonly private: boolean;
  readonly numExamples: number;
  readonly samplingRate: number;
  readonly noiseMultiplier: number;
  readonly clipNorm: number | null;
  readonly delta: number;
  readonly totalSteps: number;
  readonly maxEpsilon: number | null;
  /** Runs with unitIds: most rows of a unit per step (numExamples then counts units). */
  readonly examplesPerUnit?: number;
  /** 'pld' when the PLD accountant calibrated and budgets the run (absent: 'rdp'). */
  readonly accountant?: 'pld';
}

/** The run plan as a fit checkpoint records it (clipNorm null without DP; examplesPerUnit for windowsPerStep). */
export function fitSettingsOf(plan: RunPlan): FitSettings {
  return {
    private: plan.private, numExamples: plan.numExamples, samplingRate: plan.samplingRate, noiseMultiplier: plan.noiseMultiplier,
    clipNorm: plan.private ? plan.clipNorm : null, delta: plan.delta, totalSteps: plan.totalSteps, maxEpsilon: plan.maxEpsilon,
    ...(plan.windowsPerStep !== undefined ? { examplesPerUnit: plan.windowsPerStep } : {}),
    ...(plan.accountant === 'pld' ? { accountant: 'pld' as const } : {}),
  };
}

export interface FitCheckpoint {
  format: 'dp-canary-fit-checkpoint';
  version: 1;
  step: number;
  weights: SavedArray[];
  optimizer: SavedArray[];
  ledger: unknown;
  random: { kind: 'seeded' | 'secure'; state: SeededState | null };
  settings: FitSettings;
}

function save(name: string, t: tf.Tensor): SavedArray {
  return { name, shape: [...t.shape], data: encodeFloat32(Float32Array.from(t.dataSync())) };
}

export async function writeFitCheckpoint(path: string, model: LayersModel, optimizer: tf.Optimizer, rest: Omit<FitCheckpoint, 'format' | 'version' | 'weights' | 'optimizer'>): Promise<void> {
  const weights = model.weights.map((w) => save(w.originalName, w.read()));
  const opt = (await optimizer.getWeights()).map((w) => save(w.name, w.tensor));
  const ck: FitCheckpoint = { format: 'dp-canary-fit-checkpoint', version: 1, weights, optimizer: opt, ...rest };
  writeFileAtomic(path, JSON.stringify(ck));
}

export function readFitCheckpoint(path: string): FitCheckpoint | null {
  if (!existsSync(path)) return null;
  let v: Partial<FitCheckpoint>;
  try {
    v = JSON.parse(readFileSync(path, 'utf8')) as Partial<FitCheckpoint>;
  } catch {
    throw new InvalidArgumentError(`checkpoint ${path} is not valid JSON.`);
  }
  if (v.format !== 'dp-canary-fit-checkpoint' || v.version !== 1 || !Number.isInteger(v.step) || !v.weights || !v.optimizer || !v.random || !v.settings) {
    throw new InvalidArgumentError(`${path} is not a version 1 dp-canary fit checkpoint.`);
  }
  return v as FitCheckpoint;
}

function load(a: SavedArray, what: string): tf.Tensor {
  const size = a.shape.reduce((x, y) => x * y, 1);
  return tf.tensor(decodeFloat32(a.data, size, what), a.shape, 'float32');
}

/** Restores weights (by name, shapes checked) and optimizer state from a checkpoint. */
export async function restoreFitCheckpoint(ck: FitCheckpoint, model: LayersModel, optimizer: tf.Optimizer, path: string): Promise<void> {
  // By position: tfjs names weights after layer instances, which differ between processes.
  if (ck.weights.length !== model.weights.length) throw new InvalidArgumentError(`cannot resume ${path}: it holds ${ck.weights.length} weights, the model has ${model.weights.length}.`);
  for (const [k, w] of model.weights.entries()) {
    const saved = ck.weights[k]!;
    if (saved.shape.join() !== w.shape.join()) throw new InvalidArgumentError(`cannot resume ${path}: weight ${k} (${w.originalName}) has shape [${saved.shape}] there, [${w.shape}] here.`);
    const t = load(saved, `weight ${saved.name}`);
    w.write(t);
    t.dispose();
  }
  const opt = ck.optimizer.map((a) => ({ name: a.name, tensor: load(a, `optimizer ${a.name}`) }));
  await optimizer.setWeights(opt);
}
