/**
 * The transformer's KV-cached scorer against an independent full forward in float64 loops
 * (transformer-reference.ts), on the cpu and the wasm backends (the wasm kernel fixes gather
 * and multiply there).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { transformerScorer } from '../../src/dpsgd/transformer-scorer.js';
import type { StepResult } from '../../src/canary/scorer.js';
import { InvalidArgumentError } from '../../src/util/errors.js';
import { seededRandom } from '../../src/util/random.js';
import { randomContractWeights, referenceLogProbs, tensorWeights, type TinyTransformer } from './transformer-reference.js';
import { useWasmForFile } from './helpers.js';

const TINY: TinyTransformer = { vocabSize: 7, hiddenSize: 8, layers: 2, heads: 2, ffnSize: 12, maxLength: 9 };
const WEIGHTS = randomContractWeights(TINY, 'transformer-scorer');

useWasmForFile();

/** Largest |scorer - reference| over row `row` of a step, the reference being the full forward of `seq`. */
function gap(step: StepResult, row: number, seq: readonly number[]): number {
  const V = TINY.vocabSize;
  const ref = seq.length === 0 ? null : referenceLogProbs(TINY, WEIGHTS, seq)[seq.length - 1]!;
  let worst = 0;
  // The empty prefix: softmax(output/b).
  const b = WEIGHTS.get('output/b')!;
  const lse = Math.log(Array.from(b).reduce((a, v) => a + Math.exp(v), 0));
  for (let v = 0; v < V; v++) worst = Math.max(worst, Math.abs(step.logProbs[row * V + v]! - (ref ? ref[v]! : b[v]! - lse)));
  return worst;
}

describe.each(['cpu', 'wasm'])('transformerScorer on %s', (backend) => {
  beforeAll(async () => {
    await tf.setBackend(backend);
  });

  it('every prefix of a tree, with repeated and permuted parents, has the full forward log-probs (1e-5 nats)', async () => {
    const w = tensorWeights(TINY, WEIGHTS);
    const scorer = transformerScorer(TINY, w.param);
    const before = tf.memory().numTensors;
    const rng = seededRandom(`tree-${backend}`);
    for (const prefix of [[], [3], [5, 1, 6]]) {
      const start = await scorer.start(prefix);
      expect(start.state.size).toBe(1);
      expect(gap(start, 0, prefix)).toBeLessThan(1e-5);
      // Level 1: every token from the single state; later levels: random parents (repeats,
      // any order) and random tokens, more rows than the vocabulary at level 2.
      let seqs = Array.from({ length: TINY.vocabSize }, (_, t) => [...prefix, t]);
      let step = await scorer.advance(start.state, new Int32Array(TINY.vocabSize), Int32Array.from(seqs, (s) => s.at(-1)!));
      const held = [start.state];
      for (const rows of [20, 5, 3, 4]) {
        seqs.forEach((s, r) => expect(gap(step, r, s)).toBeLessThan(1e-5));
        held.push(step.state);
        if (seqs[0]!.length === TINY.maxLength) break;
        const parents = Int32Array.from({ length: rows }, () => rng.int(seqs.length));
        const tokens = Int32Array.from({ length: rows }, () => rng.int(TINY.vocabSize));
        const prev = seqs;
        seqs = Array.from(parents, (par, r) => [...prev[par]!, tokens[r]!]);
        step = await scorer.advance(step.state, parents, tokens);
      }
      seqs.forEach((s, r) => expect(gap(step, r, s)).toBeLessThan(1e-5));
      held.push(step.state);
      // Freed in any order (the start state first): children keep the shared prefix alive.
      for (const s of held) scorer.dispose(s);
    }
    expect(tf.memory().numTensors).toBe(before);
    w.dispose();
  });

  it('prefixes up to maxLength; longer ones are refused, naming both lengths', async () => {
    const w = tensorWeights(TINY, WEIGHTS);
    const scorer = transformerScorer(TINY, w.param);
    const full = [1, 2, 3, 4, 5, 6, 0, 1, 2];
    const eight = await scorer.start(full.slice(0, 8));
    const nine = await scorer.advance(eight.state, Int32Array.of(0), Int32Array.of(2));
    expect(gap(nine, 0, full)).toBeLessThan(1e-5);
    const atMax = await scorer.start(full);
    expect(gap(atMax, 0, full)).toBeLessThan(1e-5);
    for (const s of [nine.state, atMax.state]) {
      await expect(scorer.advance(s, Int32Array.of(0), Int32Array.of(1))).rejects.toThrow(/10 tokens.*maxLength 9/);
    }
    await expect(scorer.start([...full, 3])).rejects.toThrow(InvalidArgumentError);
    await expect(scorer.start([...full, 3])).rejects.toThrow(/10 tokens.*maxLength 9/);
    for (const s of [eight.state, nine.state, atMax.state]) scorer.dispose(s);
    w.dispose();
  });

  it('refuses bad parents and tokens, disposed states and states of another scorer', async () => {
    const w = tensorWeights(TINY, WEIGHTS);
    const scorer = transformerScorer(TINY, w.param);
    const other = transformerScorer(TINY, w.param);
    await expect(scorer.start([7])).rejects.toThrow(InvalidArgumentError);
    const s = await scorer.start([1]);
    await expect(scorer.advance(s.state, Int32Array.of(1), Int32Array.of(0))).rejects.toThrow(InvalidArgumentError);
    await expect(scorer.advance(s.state, Int32Array.of(0), Int32Array.of(7))).rejects.toThrow(InvalidArgumentError);
    await expect(scorer.advance(s.state, Int32Array.of(0, 0), Int32Array.of(1))).rejects.toThrow(InvalidArgumentError);
    await expect(other.advance(s.state, Int32Array.of(0), Int32Array.of(1))).rejects.toThrow(InvalidArgumentError);
    const child = await scorer.advance(s.state, Int32Array.of(0, 0), Int32Array.of(1, 2));
    scorer.dispose(s.state);
    await expect(scorer.advance(s.state, Int32Array.of(0), Int32Array.of(1))).rejects.toThrow(/disposed/);
    expect(() => scorer.dispose(s.state)).toThrow(/disposed/);
    // The child still reads the prefix it shares with the disposed start state.
    const grand = await scorer.advance(child.state, Int32Array.of(1), Int32Array.of(4));
    expect(gap(grand, 0, [1, 2, 4])).toBeLessThan(1e-5);
    scorer.dispose(child.state);
    scorer.dispose(grand.state);
    w.dispose();
  });
});
