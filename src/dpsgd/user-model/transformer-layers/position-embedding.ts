import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { InvalidArgumentError } from '../../../util/errors.js';
import { onlyInput, onlyShape, widthOf, type BaseLayerArgs, type Initializer } from './common.js';

export interface PositionEmbeddingArgs extends BaseLayerArgs {
  /** Longest sequence the layer accepts (integer >= 1): the learned table has this many rows. */
  readonly maxLength: number;
  /** Initializer of the table [maxLength, d]. Default randomNormal with stddev 0.02 (GPT-2's). */
  readonly embeddingsInitializer?: Initializer;
}

/** Refuses a sequence longer than the table. */
export function checkLength(T: number, maxLength: number, layer: string): void {
  if (T > maxLength) throw new InvalidArgumentError(`${layer}: the input has ${T} positions but the position table has maxLength ${maxLength}; build the layer with a larger maxLength or feed shorter windows.`);
}

/**
 * Learned absolute position embeddings: input x [B, T, d] -> x + table[0..T-1] (the same rows
 * for every example), with the table [maxLength, d] a trainable weight ('embeddings').
 * Refuses T > maxLength. Registered for serialization; fitPrivately clips it per example (an
 * embedding looked up at the positions).
 */
export class PositionEmbedding extends tfl.layers.Layer {
  static readonly className = 'PositionEmbedding';
  readonly maxLength: number;
  private readonly embeddingsInitializer: Initializer;
  private table: tfl.LayerVariable | null = null;

  constructor(args: PositionEmbeddingArgs) {
    super(args);
    if (!(Number.isInteger(args.maxLength) && args.maxLength >= 1)) throw new InvalidArgumentError(`maxLength must be an integer >= 1, got ${args.maxLength}.`);
    this.maxLength = args.maxLength;
    this.embeddingsInitializer = args.embeddingsInitializer ?? tfl.initializers.randomNormal({ mean: 0, stddev: 0.02 });
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = onlyShape(inputShape, this.name);
    const d = widthOf(shape, this.name);
    if (typeof shape[1] === 'number') checkLength(shape[1], this.maxLength, this.name);
    this.table = this.addWeight('embeddings', [this.maxLength, d], 'float32', this.embeddingsInitializer);
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return onlyShape(inputShape, this.name);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = onlyInput(inputs, this.name);
      return tf.add(x, tf.expandDims(positionRows(this.table!.read() as tf.Tensor2D, x.shape[1]!, this.name), 0));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), maxLength: this.maxLength };
  }
}
tf.serialization.registerClass(PositionEmbedding, 'DpCanary');

/** The first T rows of the table [maxLength, d] (throws when T > maxLength). */
export function positionRows(table: tf.Tensor2D, T: number, layer: string): tf.Tensor2D {
  checkLength(T, table.shape[0], layer);
  return tf.slice(table, [0, 0], [T, -1]);
}

/**
 * A PositionEmbedding layer, tfjs style: `positionEmbedding({ maxLength: 64 })` applied to
 * token embeddings [B, T, d] (T <= maxLength) adds a learned vector per position.
 *
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import * as tfl from '@tensorflow/tfjs-layers';
 * import { positionEmbedding } from 'dp-canary/dpsgd';
 * const ids = tfl.input({ shape: [8], dtype: 'int32' });
 * const tokens = tfl.layers.embedding({ inputDim: 30, outputDim: 16 }).apply(ids) as tfl.SymbolicTensor;
 * const x = positionEmbedding({ maxLength: 8 }).apply(tokens) as tfl.SymbolicTensor;
 * const model = tfl.model({ inputs: ids, outputs: x });
 * (model.predict(tf.zeros([2, 8], 'int32')) as tf.Tensor).shape; // [2, 8, 16]
 * ```
 */
export function positionEmbedding(args: PositionEmbeddingArgs): PositionEmbedding {
  return new PositionEmbedding(args);
}
