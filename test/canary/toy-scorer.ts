import type { Scorer, StateBatch, StepResult } from '../../src/canary/scorer.js';

/**
 * A toy autoregressive model whose next-token distribution is known in closed form: it depends
 * only on the position and the previous token. logits(pos, prev, v) is a smooth pseudo-random
 * function rounded to a coarse grid (so equal logits, hence exact ties, are common), plus a
 * large bonus for the planted favourite secret's token at each position when the previous
 * token is the favourite's previous one. Log-probabilities are a float64 log-softmax stored as
 * float32 (like a real model's output).
 */
export interface ToyOptions {
  vocabSize: number;
  /** Token ids of the favourite secret (planted memorization), position by position after the prefix. */
  favourite: readonly number[];
  /** Logit bonus for the favourite path (nats). */
  bonus: number;
  /** Grid step of the rounded logits (smaller = fewer ties). */
  grid: number;
  /** Scale of the pseudo-random logits. */
  scale: number;
}

interface ToyState extends StateBatch {
  readonly pos: Int32Array;
  readonly prev: Int32Array;
  readonly onPath: Uint8Array;
  disposed: boolean;
}

export class ToyScorer implements Scorer {
  readonly vocabSize: number;
  /** Rows advanced so far. */
  rows = 0;
  /** Batches not yet disposed. */
  live = 0;
  constructor(readonly opts: ToyOptions) {
    this.vocabSize = opts.vocabSize;
  }

  /** The logit of token v at secret position pos after token prev (closed form). */
  logit(pos: number, prev: number, v: number, onPath: boolean): number {
    const { grid, scale, favourite, bonus } = this.opts;
    const raw = scale * Math.sin(1.7 * pos + 2.3 * prev + 0.9 * v * v + 0.31 * v);
    let l = Math.round(raw / grid) * grid;
    if (onPath && favourite[pos] === v) l += bonus;
    return l;
  }

  /** Exact float64 ln Pr(v | pos, prev, onPath). */
  logProb(pos: number, prev: number, v: number, onPath: boolean): number {
    let max = -Infinity;
    const ls: number[] = [];
    for (let u = 0; u < this.vocabSize; u++) {
      const l = this.logit(pos, prev, u, onPath);
      ls.push(l);
      if (l > max) max = l;
    }
    let s = 0;
    for (const l of ls) s += Math.exp(l - max);
    return ls[v]! - max - Math.log(s);
  }

  /** Closed-form log-perplexity in bits of a token sequence after the prefix (float64). */
  closedFormBits(tokens: readonly number[]): number {
    let bits = 0;
    let prev = -1;
    let onPath = true;
    tokens.forEach((t, pos) => {
      bits -= this.logProb(pos, prev, t, onPath) / Math.LN2;
      onPath = onPath && this.opts.favourite[pos] === t;
      prev = t;
    });
    return bits;
  }

  private step(pos: Int32Array, prev: Int32Array, onPath: Uint8Array): StepResult {
    const n = pos.length;
    const V = this.vocabSize;
    const logProbs = new Float32Array(n * V);
    for (let i = 0; i < n; i++) {
      for (let v = 0; v < V; v++) logProbs[i * V + v] = this.logProb(pos[i]!, prev[i]!, v, onPath[i] === 1);
    }
    this.live++;
    const state: ToyState = { size: n, pos, prev, onPath, disposed: false };
    return { state, logProbs };
  }

  // The prefix is irrelevant to this toy: position 0 is the first secret token.
  async start(_prefix: readonly number[]): Promise<StepResult> {
    return this.step(Int32Array.of(0), Int32Array.of(-1), Uint8Array.of(1));
  }

  async advance(state: StateBatch, parents: Int32Array, tokens: Int32Array): Promise<StepResult> {
    const s = state as ToyState;
    if (s.disposed) throw new Error('advance on a disposed batch');
    if (parents.length !== tokens.length) throw new Error('parents and tokens differ in length');
    const n = parents.length;
    const pos = new Int32Array(n);
    const prev = new Int32Array(n);
    const onPath = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const p = parents[i]!;
      if (p < 0 || p >= s.size) throw new Error(`parent ${p} outside batch of ${s.size}`);
      pos[i] = s.pos[p]! + 1;
      prev[i] = tokens[i]!;
      onPath[i] = s.onPath[p] === 1 && this.opts.favourite[s.pos[p]!] === tokens[i] ? 1 : 0;
    }
    this.rows += n;
    return this.step(pos, prev, onPath);
  }

  dispose(state: StateBatch): void {
    const s = state as ToyState;
    if (s.disposed) throw new Error('batch disposed twice');
    s.disposed = true;
    this.live--;
  }
}
