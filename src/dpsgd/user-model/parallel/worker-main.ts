/**
 * Entry point of a UserModelPool worker thread: rebuilds the user's model from its topology
 * (dp-canary's own layers register themselves when this module imports them), holds the
 * training data from shared memory, and answers each step with the clipped sums of its passes.
 * Loaded by plain Node from the compiled file.
 */
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../../backend.js';
import { InternalError } from '../../../util/errors.js';
import '../transformer-layers/index.js';
import { passSums, type ChunkSpec } from '../chunk-sums.js';
import { trainableVariables } from '../gradient.js';
import { perExampleLoss } from '../losses.js';
import type { SharedTensor, UserInitRequest, UserStepRequest, UserWorkerReply, UserWorkerRequest } from './messages.js';

interface State {
  model: tfl.LayersModel;
  spec: ChunkSpec;
  xs: tf.Tensor[];
  y: tf.Tensor;
  weights: Float32Array;
  out: Float32Array;
}

const port = parentPort;
if (port === null) throw new InternalError('user-model worker-main.ts must run in a worker thread');
let state: State | null = null;

function reply(r: UserWorkerReply, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(r, transfer);
}

function tensorOf(s: SharedTensor): tf.Tensor {
  return tf.tensor(s.dtype === 'int32' ? new Int32Array(s.buffer) : new Float32Array(s.buffer), [...s.shape], s.dtype);
}

const sameShapes = (a: readonly (readonly number[])[], b: readonly (readonly number[])[]): boolean =>
  a.length === b.length && a.every((s, i) => s.length === b[i]!.length && s.every((d, k) => d === b[i]![k]));

async function init(m: UserInitRequest): Promise<void> {
  await initBackend(m.backend);
  // Without weights: every step first reads the coordinator's.
  const model = await tfl.models.modelFromJSON({ modelTopology: m.topology } as Parameters<typeof tfl.models.modelFromJSON>[0]);
  if (!sameShapes(model.weights.map((w) => w.shape as number[]), m.weightShapes) || !sameShapes(model.trainableWeights.map((w) => w.shape as number[]), m.trainableShapes)) {
    throw new InternalError('the model rebuilt from its topology has other weights than the original');
  }
  const spec: ChunkSpec = { ...m.spec, loss: perExampleLoss(m.loss, m.fromLogits) };
  state = { model, spec, xs: m.xs.map(tensorOf), y: tensorOf(m.y), weights: new Float32Array(m.weights), out: new Float32Array(m.out) };
  reply({ type: 'ready', id: 0 });
}

/** Sets every weight of the model from the coordinator's buffer (model.weights order). */
function readWeights(s: State): void {
  let off = 0;
  for (const w of s.model.weights) {
    const n = w.shape.reduce((a: number, b) => a * (b ?? 1), 1);
    const src = s.weights.subarray(off, off + n);
    tf.tidy(() => {
      w.write(tf.tensor(src, w.shape as number[], 'float32'));
    });
    off += n;
  }
}

function step(s: State, m: UserStepRequest): void {
  const t0 = performance.now();
  readWeights(s);
  const r = passSums(s.model, s.xs, s.y, s.spec, m.passes);
  if (r.acc !== null) {
    // Trainable weights in model order; a weight no pass reached contributes zeros.
    let off = 0;
    for (const [name, v] of trainableVariables(s.model)) {
      const t = r.acc.get(name);
      if (t) s.out.set(t.dataSync() as Float32Array, off);
      else s.out.fill(0, off, off + v.size);
      off += v.size;
    }
    tf.dispose([...r.acc.values()]);
  }
  const computeMs = performance.now() - t0;
  reply({ type: 'step', id: m.id, wrote: r.acc !== null, lossSum: r.lossSum, norms: r.norms, computeMs }, [r.norms.buffer as ArrayBuffer]);
}

// Requests are handled one at a time, in order.
let queue: Promise<void> = Promise.resolve();
port.on('message', (m: UserWorkerRequest) => {
  queue = queue.then(async () => {
    const id = m.type === 'init' ? 0 : m.id;
    try {
      if (m.type === 'init') return await init(m);
      if (state === null) throw new InternalError('worker used before init');
      return step(state, m);
    } catch (err) {
      reply({ type: 'error', id, message: err instanceof Error ? err.message : String(err) });
    }
  });
});
