/**
 * Entry point of a DataParallelPool worker thread: holds a copy of the model on its own
 * backend and answers the coordinator's requests (the clipped sums of its part of a logical
 * batch; the log-perplexities of its share of a canary space). Loaded by plain Node from the
 * compiled file.
 */
import { parentPort } from 'node:worker_threads';
import { secureRandom, seededRandom } from '../../util/random.js';
import { initBackend } from '../backend.js';
import { accumulateParts } from '../logical-batch.js';
import { LanguageModel } from '../model.js';
import { enumerateInThread } from './enumerate-local.js';
import { paramLayout, readWeights, writeTensors, type ParamLayout } from './layout.js';
import type { EnumerateRequest, InitRequest, StepRequest, WorkerReply, WorkerRequest } from './messages.js';
import { InternalError } from '../../util/errors.js';

interface State {
  model: LanguageModel;
  layout: ParamLayout;
  weights: Float32Array;
  out: Float32Array;
  examples: Int32Array[];
}

const port = parentPort;
if (port === null) throw new InternalError('worker-main.ts must run in a worker thread');
let state: State | null = null;

function reply(r: WorkerReply, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(r, transfer);
}

async function init(m: InitRequest): Promise<void> {
  await initBackend(m.backend);
  // The initial values do not matter: every request first reads the coordinator's weights.
  const model = LanguageModel.create(m.config, seededRandom('worker-placeholder'));
  const ex = m.examples;
  const examples = ex === null ? [] : Array.from({ length: ex.count }, (_, i) => new Int32Array(ex.buffer, i * ex.length * 4, ex.length));
  state = { model, layout: paramLayout(model.config), weights: new Float32Array(m.weights), out: new Float32Array(m.out), examples };
  reply({ type: 'ready', id: 0 });
}

function step(s: State, m: StepRequest): void {
  const t0 = performance.now();
  readWeights(s.model, s.layout, s.weights);
  const random = m.seed !== null ? seededRandom(m.seed) : secureRandom();
  const p = accumulateParts(s.model, s.examples, m.parts, { privacy: m.privacy, expectedBatchSize: m.expectedBatchSize, step: m.step, random });
  if (p.sums !== null) {
    writeTensors(p.sums, s.layout, s.out);
    for (const t of p.sums.values()) t.dispose();
  }
  const computeMs = performance.now() - t0;
  reply({ type: 'step', id: m.id, wrote: p.sums !== null, lossSum: p.lossSum, tokens: p.tokens, batchSize: p.batchSize, norms: p.norms, computeMs }, [
    p.norms.buffer as ArrayBuffer,
  ]);
}

async function enumerate(s: State, m: EnumerateRequest): Promise<void> {
  readWeights(s.model, s.layout, s.weights);
  const values = await enumerateInThread(s.model, m.prefix, m.symbolIds, m.length, { from: m.from, to: m.to });
  reply({ type: 'enumerate', id: m.id, values }, [values.buffer as ArrayBuffer]);
}

// Requests are handled one at a time, in order.
let queue: Promise<void> = Promise.resolve();
port.on('message', (m: WorkerRequest) => {
  queue = queue.then(async () => {
    const id = m.type === 'init' ? 0 : m.id;
    try {
      if (m.type === 'init') return await init(m);
      if (state === null) throw new InternalError('worker used before init');
      if (m.type === 'step') return step(state, m);
      return await enumerate(state, m);
    } catch (err) {
      reply({ type: 'error', id, message: err instanceof Error ? err.message : String(err) });
    }
  });
});
