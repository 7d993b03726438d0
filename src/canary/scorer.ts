/**
 * The only thing canary code knows about a model: next-token log-probabilities for a batch of
 * states. Any autoregressive model (a dp-canary LSTM, or a user's own through exported scores)
 * can implement it; canary code never depends on how a model was trained.
 */

/** An opaque batch of model states (for an LSTM: h and c per layer, one row per state). */
export interface StateBatch {
  /** Number of states (rows) in the batch. */
  readonly size: number;
}

export interface StepResult {
  /** The states after the step, one per input row. */
  state: StateBatch;
  /**
   * Next-token log-probabilities in nats (natural log), row-major [size x vocabSize]:
   * logProbs[i * vocabSize + v] = ln Pr(next token = v | state i).
   */
  logProbs: Float32Array;
}

export interface Scorer {
  /** Number of token ids the model can emit; ids are 0 .. vocabSize-1. */
  readonly vocabSize: number;
  /**
   * The most tokens one state may hold (a transformer's position table); undefined for a model
   * without such a limit (a recurrent one). Canary code then keeps the last tokens of a longer
   * prefix (fitPrefix in secret-model.ts): a model with a fixed context never saw more.
   */
  readonly maxLength?: number;
  /**
   * Run a fixed prefix once. Returns a batch of one state and the log-probabilities of the
   * token after the prefix. The prefix may be empty (the model's initial state).
   */
  start(prefix: readonly number[]): Promise<StepResult>;
  /**
   * Advance a batch of n states: row i of the result is state `parents[i]` of `state` fed
   * token `tokens[i]`. Reusing parents lets a search expand one node into many children.
   */
  advance(state: StateBatch, parents: Int32Array, tokens: Int32Array): Promise<StepResult>;
  /** Free a batch's resources (tensors); using it afterwards is an error. */
  dispose(state: StateBatch): void;
}
