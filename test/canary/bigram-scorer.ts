import type { Scorer, StateBatch, StepResult } from '../../src/canary/scorer.js';

/**
 * A bigram model as a Scorer: the next-token log-probabilities depend only on the previous
 * token (the state is that token; the initial state is token `start`). Its table is given, so
 * the log-perplexity of any token sequence has a closed form, and unlike the toy scorer the
 * prefix matters: a context ending in another character gives the secret other scores.
 */
interface BigramState extends StateBatch {
  readonly last: Int32Array;
}

export class BigramScorer implements Scorer {
  readonly vocabSize: number;
  /** Rows advanced so far. */
  rows = 0;
  /** Batches not yet disposed. */
  live = 0;
  /** logProbs[prev * V + next] in nats (float32, as a real model's output). */
  readonly table: Float32Array;

  constructor(vocabSize: number, logits: (prev: number, next: number) => number, readonly startToken = 0) {
    this.vocabSize = vocabSize;
    this.table = new Float32Array(vocabSize * vocabSize);
    for (let p = 0; p < vocabSize; p++) {
      const row = Array.from({ length: vocabSize }, (_, v) => logits(p, v));
      const max = Math.max(...row);
      const lse = max + Math.log(row.reduce((s, l) => s + Math.exp(l - max), 0));
      row.forEach((l, v) => (this.table[p * vocabSize + v] = l - lse));
    }
  }

  /**
   * -sum log2 Pr of `tokens` after `prefix`, accumulated term by term in the order the canary
   * code uses (acc - logProb * (1 / ln 2)), so equal sequences give bit-equal values.
   */
  bits(prefix: readonly number[], tokens: readonly number[]): number {
    let prev = prefix.length > 0 ? prefix[prefix.length - 1]! : this.startToken;
    let acc = 0;
    for (const t of tokens) {
      acc = acc - this.table[prev * this.vocabSize + t]! * (1 / Math.LN2);
      prev = t;
    }
    return acc;
  }

  private step(last: Int32Array): StepResult {
    const V = this.vocabSize;
    const logProbs = new Float32Array(last.length * V);
    last.forEach((p, i) => logProbs.set(this.table.subarray(p * V, (p + 1) * V), i * V));
    this.live++;
    return { state: { size: last.length, last } as BigramState, logProbs };
  }

  async start(prefix: readonly number[]): Promise<StepResult> {
    return this.step(Int32Array.of(prefix.length > 0 ? prefix[prefix.length - 1]! : this.startToken));
  }

  async advance(_state: StateBatch, parents: Int32Array, tokens: Int32Array): Promise<StepResult> {
    if (parents.length !== tokens.length) throw new Error('parents and tokens differ in length');
    this.rows += tokens.length;
    return this.step(Int32Array.from(tokens));
  }

  dispose(_state: StateBatch): void {
    this.live--;
  }
}
