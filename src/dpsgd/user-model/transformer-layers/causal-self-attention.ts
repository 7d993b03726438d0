import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { dotLast } from '../rules/internals.js';
import { causalAttention, checkHeads, headSize } from './attention-ops.js';
import { onlyInput, onlyShape, widthOf, type BaseLayerArgs, type Initializer } from './common.js';

export interface CausalSelfAttentionArgs extends BaseLayerArgs {
  /** Number of attention heads (integer >= 1); the input width d must be a multiple of it. */
  readonly heads: number;
  /** Add a bias to the fused query/key/value projection and to the output projection. Default true. */
  readonly useBias?: boolean;
  /** Initializer of both kernels. Default glorotUniform. */
  readonly kernelInitializer?: Initializer;
  /** Initializer of both biases. Default zeros. */
  readonly biasInitializer?: Initializer;
}

/**
 * Causal multi-head self-attention as a tfjs-layers layer (the block of a GPT): input x
 * [B, T, d] -> [B, T, d]. qkv = x Wqkv + bqkv with one fused kernel [d, 3d]; per head,
 * softmax(q k^T / sqrt(d / heads)) v with position t attending to positions 0..t only; the heads
 * concatenated, then y = a Wo + bo with Wo [d, d]. No dropout inside (add tf.layers.dropout
 * after it). Weights: qkv_kernel, qkv_bias, output_kernel, output_bias. Registered for
 * serialization, so a model with it saves and loads; fitPrivately clips it per example.
 */
export class CausalSelfAttention extends tfl.layers.Layer {
  static readonly className = 'CausalSelfAttention';
  readonly heads: number;
  readonly useBias: boolean;
  private readonly kernelInitializer: Initializer;
  private readonly biasInitializer: Initializer;
  private qkvKernel: tfl.LayerVariable | null = null;
  private qkvBias: tfl.LayerVariable | null = null;
  private outputKernel: tfl.LayerVariable | null = null;
  private outputBias: tfl.LayerVariable | null = null;

  constructor(args: CausalSelfAttentionArgs) {
    super(args);
    checkHeads(args.heads);
    this.heads = args.heads;
    this.useBias = args.useBias ?? true;
    this.kernelInitializer = args.kernelInitializer ?? tfl.initializers.glorotUniform({});
    this.biasInitializer = args.biasInitializer ?? tfl.initializers.zeros();
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const d = widthOf(onlyShape(inputShape, this.name), this.name);
    headSize(d, this.heads);
    this.qkvKernel = this.addWeight('qkv_kernel', [d, 3 * d], 'float32', this.kernelInitializer);
    this.outputKernel = this.addWeight('output_kernel', [d, d], 'float32', this.kernelInitializer);
    if (this.useBias) {
      this.qkvBias = this.addWeight('qkv_bias', [3 * d], 'float32', this.biasInitializer);
      this.outputBias = this.addWeight('output_bias', [d], 'float32', this.biasInitializer);
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return onlyShape(inputShape, this.name);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = onlyInput(inputs, this.name);
      let qkv = dotLast(x, this.qkvKernel!.read() as tf.Tensor2D);
      if (this.qkvBias) qkv = tf.add(qkv, this.qkvBias.read());
      let y = dotLast(causalAttention(qkv, this.heads), this.outputKernel!.read() as tf.Tensor2D);
      if (this.outputBias) y = tf.add(y, this.outputBias.read());
      return y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), heads: this.heads, useBias: this.useBias };
  }
}
tf.serialization.registerClass(CausalSelfAttention, 'DpCanary');

/**
 * A CausalSelfAttention layer, tfjs style: `causalSelfAttention({ heads: 4 })` applied to a
 * [B, T, d] tensor (d a multiple of heads) gives [B, T, d].
 *
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import * as tfl from '@tensorflow/tfjs-layers';
 * import { causalSelfAttention } from 'dp-canary/dpsgd';
 * const x = tfl.input({ shape: [8, 16] }); // 8 positions of width 16
 * const y = causalSelfAttention({ heads: 4 }).apply(x) as tfl.SymbolicTensor;
 * const model = tfl.model({ inputs: x, outputs: y });
 * (model.predict(tf.randomNormal([2, 8, 16])) as tf.Tensor).shape; // [2, 8, 16]
 * ```
 */
export function causalSelfAttention(args: CausalSelfAttentionArgs): CausalSelfAttention {
  return new CausalSelfAttention(args);
}
