/**
 * The registry of per-layer clipping rules (one file per layer kind), by tfjs class name.
 * A layer without trainable weights needs no rule: it runs as itself (layer.apply).
 */
import type { LayerRule } from '../types.js';
import { causalSelfAttentionRule } from './causal-self-attention.js';
import { conv1dRule } from './conv1d.js';
import { conv2dRule } from './conv2d.js';
import { denseRule } from './dense.js';
import { embeddingRule } from './embedding.js';
import { gruRule } from './gru.js';
import { layerNormalizationRule } from './layer-normalization.js';
import { lstmRule } from './lstm.js';
import { positionEmbeddingRule } from './position-embedding.js';
import { simpleRnnRule } from './simple-rnn.js';

export const LAYER_RULES: ReadonlyMap<string, LayerRule> = new Map(
  [
    denseRule, embeddingRule, conv1dRule, conv2dRule, simpleRnnRule, lstmRule, gruRule, layerNormalizationRule,
    causalSelfAttentionRule, positionEmbeddingRule,
  ].map((r) => [r.className, r]),
);

/** Layers refused outright: they mix examples within a batch, so per-example clipping is meaningless. */
export const REFUSED_LAYERS: ReadonlyMap<string, string> = new Map([
  ['BatchNormalization', 'BatchNormalization mixes the examples of a batch (batch statistics), so per-example clipping bounds nothing; use LayerNormalization instead'],
]);
