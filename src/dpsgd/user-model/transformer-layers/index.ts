/**
 * tfjs-layers layers for a user's own GPT-like tf.LayersModel, which tfjs-layers 4.22 does not
 * export: causal multi-head self-attention and learned position embeddings. Each has a
 * per-example clipping rule in ../rules, so fitPrivately trains a model built from them. The
 * rest of a GPT block comes from tfjs-layers itself: LayerNormalization, Dense (with the 'gelu'
 * activation), Embedding, and tf.layers.add for residual connections.
 */
export { CausalSelfAttention, causalSelfAttention, type CausalSelfAttentionArgs } from './causal-self-attention.js';
export { PositionEmbedding, positionEmbedding, type PositionEmbeddingArgs } from './position-embedding.js';
export { causalAttention } from './attention-ops.js';
