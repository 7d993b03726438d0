import type * as tf from '@tensorflow/tfjs-core';

/**
 * How one parameter enters a network, which is all per-example clipping needs; the same for
 * dp-canary's language models and for a user's tf.LayersModel (through the layer rules).
 *
 * Every use goes through a "tap": a pre-activation z of shape [T, B, P] or [B, T, P] (see
 * TapLayout; B examples, T positions per example, P features). Differentiating the loss with
 * respect to the taps gives g = dL/dz (g[t, i] = dL_i / dz[t, i]) without forming any weight
 * gradient. Then, per example i:
 * - `linear` (z_t = a_t W + ...): grad_i W = sum_t a[t, i]^T g[t, i]; W of any rank is seen as
 *   [D, P] (a conv kernel [kh, kw, cin, cout] as [kh*kw*cin, cout]). `tapColumns` /
 *   `paramColumns` restrict it to a block of columns of z and of W (a GRU's recurrent kernel
 *   feeds two blocks); the blocks of one parameter are disjoint, so their squared norms add.
 * - `bias` (z_t = ... + b): grad_i b = sum_t g[t, i]
 * - `embedding` (z_t = table[ids[t, i]] + ...): grad_i table = sum_t onehot(ids[t, i]) g[t, i]^T
 *   (`ownsIds`: the forward made the ids, e.g. positions, and the pass disposes them)
 * - `scale` (z_t = a_t * gamma + ..., elementwise, as LayerNorm's gain): grad_i gamma = sum_t a[t, i] * g[t, i]
 *
 * `param` is the parameter's name (a tf.Variable's `name` for a user's model); `tap` the tap's.
 * `input` and `ids` are laid out as the taps are.
 */
export type ParamUse =
  | {
      readonly kind: 'linear';
      readonly param: string;
      readonly tap: string;
      readonly input: tf.Tensor3D;
      readonly tapColumns?: readonly [number, number];
      readonly paramColumns?: readonly [number, number];
    }
  | { readonly kind: 'bias'; readonly param: string; readonly tap: string }
  | { readonly kind: 'embedding'; readonly param: string; readonly tap: string; readonly ids: tf.Tensor2D; readonly vocabSize: number; readonly ownsIds?: boolean }
  | { readonly kind: 'scale'; readonly param: string; readonly tap: string; readonly input: tf.Tensor3D };

/**
 * Axis order of taps, inputs and ids: 'time-major' [T, B, ...] (dp-canary's recurrent models,
 * whose steps are slices along T) or 'batch-major' [B, T, ...] (tfjs-layers models).
 */
export type TapLayout = 'time-major' | 'batch-major';

/** What the engine reads after one backward pass to the taps. */
export interface TapGradients {
  readonly layout: TapLayout;
  /** How each parameter was used (tensors owned by the pass). */
  readonly uses: readonly ParamUse[];
  /** dL/dz by tap name, 3-D in `layout`, where L is the (weighted) sum of per-example losses. */
  readonly grads: ReadonlyMap<string, tf.Tensor3D>;
}

/**
 * How per-example squared norms of `linear` gradients are computed (all give the same value):
 * - 'ghost': Gram matrices, ||sum_t a_t g_t^T||_F^2 = sum_{t,s} (a_t.a_s)(g_t.g_s); cost ~B T^2 (D+P).
 * - 'materialize': form each example's [D, P] gradient by one batched matmul; cost ~B T D P.
 * - 'auto': per weight, the cheaper of the two counting the clipped sum too (mixed ghost
 *   clipping, Bu et al. 2023), within memory limits; see `linearNormPlan` in norms.ts.
 * Biases use per-example sums over positions (||sum_t g_t||^2), LayerNorm gains (`scale`) the
 * per-example [B, P] sums of a_t * g_t. Embeddings use sum_{t,s} [x_t == x_s] (g_t.g_s)
 * ('ghost'), or per-example tables by a segment sum when the vocabulary is small (V <= T^2,
 * 'auto'; always with 'materialize'), within a memory limit.
 */
export type NormMethod = 'ghost' | 'materialize' | 'auto';
