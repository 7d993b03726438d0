/**
 * `npm run bench -- backend`: what the wasm kernel fixes buy. For each fixed kernel at
 * char-LSTM sizes (batch 32, sequence 50, embedding 32, LSTM 128, so gate width 512): the
 * package's own wasm kernel, our fix, and the cpu backend; then one char-LSTM training step
 * (forward + backward, all tf ops) on cpu, on wasm with only the missing UnsortedSegmentSum
 * supplied, and on wasm with all fixes. Times are medians in milliseconds (2 shared cores:
 * expect noise).
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/dpsgd/backend.js';
import {
  registerWasmKernelFixes,
  unregisterWasmKernelFixes,
} from '../src/dpsgd/kernels/index.js';
import { unsortedSegmentSumConfig } from '../src/dpsgd/kernels/unsorted-segment-sum.js';

export const name = 'backend';

type Variant = 'original' | 'fixed' | 'cpu';
type Op = () => tf.Tensor | tf.Tensor[];

const BATCH = 32;
const SEQ = 50;
const EMBED = 32;
const HIDDEN = 128;
const VOCAB = 64;
const GATES = 4 * HIDDEN;
const IN = EMBED + HIDDEN; // stacked [x_t, h_{t-1}] width, as one fused LSTM matmul sees it

async function useVariant(v: Variant): Promise<void> {
  if (v === 'cpu') {
    await tf.setBackend('cpu');
    return;
  }
  await tf.setBackend('wasm');
  if (v === 'original') unregisterWasmKernelFixes();
  else registerWasmKernelFixes();
}

/** Median wall time of `op` (ms), reading every output so lazy work is counted. */
function timeOp(op: Op, reps: number): number {
  const once = (): number => {
    const t0 = performance.now();
    const out = op();
    for (const t of Array.isArray(out) ? out : [out]) t.dataSync();
    const ms = performance.now() - t0;
    tf.dispose(out);
    return ms;
  };
  once(); // warm-up: kernel setup, JIT, XNNPACK packing caches
  const times = Array.from({ length: reps }, once).sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** max |x - ref| / max |ref| between two backends' outputs. */
function relErr(x: Float32Array | Int32Array | Uint8Array, ref: Float32Array | Int32Array | Uint8Array): number {
  let d = 0;
  let s = 0;
  for (let i = 0; i < ref.length; i++) {
    d = Math.max(d, Math.abs(x[i]! - ref[i]!));
    s = Math.max(s, Math.abs(ref[i]!));
  }
  return s === 0 ? d : d / s;
}

interface KernelCase {
  label: string;
  /** Builds inputs on the active backend and returns the op to time on them. */
  make: () => Op;
  reps: number;
}

function uniform(shape: number[], seed: number): tf.Tensor {
  return tf.randomUniform(shape, -1, 1, 'float32', seed);
}

function ints(shape: number[], bound: number, seed: number): tf.Tensor {
  return tf.tidy(() => tf.cast(tf.floor(tf.randomUniform(shape, 0, bound - 1e-3, 'float32', seed)), 'int32'));
}

const kernelCases: KernelCase[] = [
  {
    label: 'UnsortedSegmentSum [1600,32] -> 64 segments (embedding gradient)',
    make: () => {
      const x = uniform([BATCH * SEQ, EMBED], 1);
      const ids = ints([BATCH * SEQ], VOCAB, 2) as tf.Tensor1D;
      return () => tf.unsortedSegmentSum(x, ids, VOCAB);
    },
    reps: 20,
  },
  {
    label: 'GatherV2 batchDims=1 [32,50,128] by [32,50]',
    make: () => {
      const x = uniform([BATCH, SEQ, HIDDEN], 3);
      const idx = ints([BATCH, SEQ], SEQ, 4);
      return () => tf.gather(x, idx, 1, 1);
    },
    reps: 20,
  },
  {
    label: 'GatherV2 batchDims=0 [64,32] by [32,50] (embedding lookup)',
    make: () => {
      const x = uniform([VOCAB, EMBED], 5);
      const idx = ints([BATCH, SEQ], VOCAB, 6);
      return () => tf.gather(x, idx);
    },
    reps: 20,
  },
  {
    label: 'Unpack [50,32,512] axis 0',
    make: () => {
      const x = uniform([SEQ, BATCH, GATES], 7);
      return () => tf.unstack(x, 0);
    },
    reps: 10,
  },
  {
    label: 'Unpack [32,50,128] axis 1',
    make: () => {
      const x = uniform([BATCH, SEQ, HIDDEN], 8);
      return () => tf.unstack(x, 1);
    },
    reps: 10,
  },
  ...(
    [
      [false, false, 'NN [32,160]x[160,512] (forward)'],
      [false, true, 'NT [32,512]x[160,512]^T (input gradient)'],
      [true, false, 'TN [32,160]^Tx[32,512] (weight gradient)'],
      [true, true, 'TT [160,32]^Tx[512,160]^T'],
    ] as [boolean, boolean, string][]
  ).map(([ta, tb, label]): KernelCase => ({
    label: `MatMul ${label}`,
    make: () => {
      // Shapes as stored so that each product is [32, 512] or [32, 160] at LSTM sizes.
      const a = ta ? uniform(tb ? [IN, BATCH] : [BATCH, IN], 9) : uniform(tb ? [BATCH, GATES] : [BATCH, IN], 9);
      const b = tb ? uniform(ta ? [GATES, IN] : [IN, GATES], 10) : uniform(ta ? [BATCH, GATES] : [IN, GATES], 10);
      return () => tf.matMul(a, b, ta, tb);
    },
    reps: 30,
  })),
  {
    label: 'BatchMatMul [50,32,160]x[50,160,512]',
    make: () => {
      const a = uniform([SEQ, BATCH, IN], 11);
      const b = uniform([SEQ, IN, GATES], 12);
      return () => tf.matMul(a, b);
    },
    reps: 5,
  },
  {
    label: 'BatchMatMul [50,32,160]x[1,160,512] (shared weight)',
    make: () => {
      const a = uniform([SEQ, BATCH, IN], 13);
      const b = uniform([1, IN, GATES], 14);
      return () => tf.matMul(a, b);
    },
    reps: 5,
  },
  {
    label: 'BatchMatMul [32,50,160]x[32,50,160]^T (ghost-norm Gram)',
    make: () => {
      const a = uniform([BATCH, SEQ, IN], 15);
      return () => tf.matMul(a, a, false, true);
    },
    reps: 10,
  },
];

interface KernelFigures {
  originalMs: number | null;
  fixedMs: number;
  cpuMs: number;
  /** Relative error of the package's own wasm kernel against cpu (null: it has none). */
  originalRelErr: number | null;
  fixedRelErr: number;
}

async function benchKernel(c: KernelCase): Promise<KernelFigures> {
  const times: Partial<Record<Variant, number | null>> = {};
  const outputs: Partial<Record<Variant, Float32Array | Int32Array | Uint8Array>> = {};
  for (const v of ['cpu', 'original', 'fixed'] as Variant[]) {
    await useVariant(v);
    // Inputs live in this tidy scope and are freed at its end; timeOp frees each output.
    tf.tidy(() => {
      const op = c.make();
      try {
        const out = op();
        const flat = Array.isArray(out) ? tf.concat(out.map((t) => tf.reshape(t, [-1]))) : out;
        outputs[v] = flat.dataSync() as Float32Array;
        tf.dispose([out, flat]);
        times[v] = timeOp(op, c.reps);
      } catch {
        times[v] = null; // e.g. the package's wasm backend has no such kernel
      }
    });
  }
  const ref = outputs.cpu;
  if (ref === undefined || times.cpu == null || times.fixed == null || outputs.fixed === undefined) {
    throw new Error(`${c.label}: the cpu backend or the fixed wasm kernel failed`);
  }
  return {
    originalMs: times.original ?? null,
    fixedMs: times.fixed,
    cpuMs: times.cpu,
    originalRelErr: outputs.original === undefined ? null : relErr(outputs.original, ref),
    fixedRelErr: relErr(outputs.fixed, ref),
  };
}

/**
 * One char-LSTM training step written with tf ops: embedding lookup, a single-layer LSTM
 * (time-major loop, one fused gate matmul per step, standard sigmoid gates), a dense softmax
 * over the vocabulary, mean cross-entropy, and gradients for every parameter.
 */
function charLstmStep(params: tf.Tensor[], ids: tf.Tensor, targets: tf.Tensor): Op {
  const loss = (embedding: tf.Tensor, wx: tf.Tensor, wh: tf.Tensor, bias: tf.Tensor, wOut: tf.Tensor, bOut: tf.Tensor): tf.Scalar => {
    const x = tf.transpose(tf.gather(embedding, ids), [1, 0, 2]); // [seq, batch, embed]
    const steps = tf.unstack(x, 0);
    let h = tf.zeros([BATCH, HIDDEN]);
    let c = tf.zeros([BATCH, HIDDEN]);
    const hs: tf.Tensor[] = [];
    for (const xt of steps) {
      const z = tf.add(tf.add(tf.matMul(xt, wx), tf.matMul(h, wh)), bias);
      const [i, f, g, o] = tf.split(z, 4, 1) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
      c = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
      h = tf.mul(tf.sigmoid(o), tf.tanh(c));
      hs.push(h);
    }
    const states = tf.reshape(tf.stack(hs, 1), [BATCH * SEQ, HIDDEN]); // batch-major rows
    const logits = tf.add(tf.matMul(states, wOut), bOut);
    const logProbs = tf.logSoftmax(logits);
    const picked = tf.sum(tf.mul(logProbs, tf.oneHot(tf.reshape(targets, [-1]), VOCAB)));
    return tf.div(tf.neg(picked), BATCH * SEQ);
  };
  const grads = tf.grads(loss as (...args: tf.Tensor[]) => tf.Tensor);
  return () => grads(params);
}

interface StepFigures {
  cpuMs: number;
  wasmMissingKernelOnlyMs: number;
  wasmFixedMs: number;
  cpuOverWasmFixed: number;
  wasmMissingOnlyOverFixed: number;
  gradRelErrWasmVsCpu: number;
}

async function benchStep(): Promise<StepFigures> {
  const make = (): { op: Op } => {
    const params = [
      tf.mul(uniform([VOCAB, EMBED], 21), 0.1),
      tf.mul(uniform([EMBED, GATES], 22), 0.1),
      tf.mul(uniform([HIDDEN, GATES], 23), 0.1),
      tf.zeros([GATES]),
      tf.mul(uniform([HIDDEN, VOCAB], 24), 0.1),
      tf.zeros([VOCAB]),
    ];
    return { op: charLstmStep(params, ints([BATCH, SEQ], VOCAB, 25), ints([BATCH, SEQ], VOCAB, 26)) };
  };
  const run = async (setup: () => Promise<void>, reps: number): Promise<{ ms: number; grads: Float32Array }> => {
    await setup();
    let result: { ms: number; grads: Float32Array } = { ms: NaN, grads: new Float32Array(0) };
    tf.tidy(() => {
      const { op } = make();
      const out = op() as tf.Tensor[];
      const flat = tf.concat(out.map((t) => tf.reshape(t, [-1])));
      const grads = flat.dataSync() as Float32Array;
      tf.dispose([...out, flat]);
      result = { ms: timeOp(op, reps), grads };
    });
    return result;
  };
  const cpu = await run(() => useVariant('cpu'), 2);
  const missingOnly = await run(async () => {
    await useVariant('original');
    // Without UnsortedSegmentSum the embedding gradient cannot run on wasm at all.
    tf.registerKernel(unsortedSegmentSumConfig);
  }, 3);
  tf.unregisterKernel('UnsortedSegmentSum', 'wasm');
  const fixed = await run(() => useVariant('fixed'), 10);
  return {
    cpuMs: cpu.ms,
    wasmMissingKernelOnlyMs: missingOnly.ms,
    wasmFixedMs: fixed.ms,
    cpuOverWasmFixed: cpu.ms / fixed.ms,
    wasmMissingOnlyOverFixed: missingOnly.ms / fixed.ms,
    gradRelErrWasmVsCpu: relErr(fixed.grads, cpu.grads),
  };
}

const fmt = (ms: number | null): string => (ms === null ? '   (none)' : ms.toFixed(2).padStart(9));

export async function run(): Promise<Record<string, unknown>> {
  const info = await initBackend('wasm');
  console.log(`wasm backend: ${info.reason}; fixes: ${info.kernelFixes.join(', ')}`);
  console.log(`${'kernel'.padEnd(64)} ${'orig ms'.padStart(9)} ${'fixed ms'.padStart(9)} ${'cpu ms'.padStart(9)}  orig/fixed  cpu/fixed  orig err   fixed err`);
  const kernels: Record<string, KernelFigures> = {};
  for (const c of kernelCases) {
    const k = await benchKernel(c);
    kernels[c.label] = k;
    const ratio = k.originalMs === null ? '        -' : (k.originalMs / k.fixedMs).toFixed(1).padStart(9);
    const origErr = k.originalRelErr === null ? 'missing' : k.originalRelErr.toExponential(1);
    console.log(
      `${c.label.padEnd(64)} ${fmt(k.originalMs)} ${fmt(k.fixedMs)} ${fmt(k.cpuMs)}  ${ratio}x ${(k.cpuMs / k.fixedMs).toFixed(1).padStart(8)}x  ${origErr.padStart(8)}  ${k.fixedRelErr.toExponential(1).padStart(8)}`,
    );
  }
  const step = await benchStep();
  console.log(
    `char-LSTM step (emb ${EMBED}, LSTM ${HIDDEN}, vocab ${VOCAB}, seq ${SEQ}, batch ${BATCH}), forward+backward: ` +
      `cpu ${step.cpuMs.toFixed(0)} ms, wasm with only UnsortedSegmentSum added ${step.wasmMissingKernelOnlyMs.toFixed(0)} ms, ` +
      `wasm with all fixes ${step.wasmFixedMs.toFixed(0)} ms (cpu/wasm ${step.cpuOverWasmFixed.toFixed(1)}x, ` +
      `fixes ${step.wasmMissingOnlyOverFixed.toFixed(1)}x; gradient rel. error wasm vs cpu ${step.gradRelErrWasmVsCpu.toExponential(1)})`,
  );
  await useVariant('fixed');
  return { backend: info, kernels, charLstmStep: step };
}
