import * as tfl from '@tensorflow/tfjs-layers';
import { causalSelfAttention, positionEmbedding } from '../../../src/dpsgd/user-model/transformer-layers/index.js';

export interface GptShape {
  vocab: number;
  T: number;
  d: number;
  heads: number;
  ffn: number;
  blocks: number;
}

/**
 * A small GPT from tfjs-layers and dp-canary's layers: Embedding -> positionEmbedding -> blocks
 * of (LayerNormalization, causalSelfAttention, Add, LayerNormalization, Dense gelu, Dense, Add)
 * -> LayerNormalization -> Dense vocab softmax. Input: ids [B, T]; output: [B, T, vocab].
 */
export function tinyGpt(s: GptShape, length: number | null = s.T): tfl.LayersModel {
  const ids = tfl.input({ shape: [length], dtype: 'int32' });
  let h = tfl.layers.embedding({ inputDim: s.vocab, outputDim: s.d }).apply(ids) as tfl.SymbolicTensor;
  h = positionEmbedding({ maxLength: s.T }).apply(h) as tfl.SymbolicTensor;
  for (let b = 0; b < s.blocks; b++) {
    const a = causalSelfAttention({ heads: s.heads }).apply(tfl.layers.layerNormalization().apply(h)) as tfl.SymbolicTensor;
    h = tfl.layers.add().apply([h, a]) as tfl.SymbolicTensor;
    const f = tfl.layers.dense({ units: s.ffn, activation: 'gelu' }).apply(tfl.layers.layerNormalization().apply(h)) as tfl.SymbolicTensor;
    h = tfl.layers.add().apply([h, tfl.layers.dense({ units: s.d }).apply(f) as tfl.SymbolicTensor]) as tfl.SymbolicTensor;
  }
  const out = tfl.layers.dense({ units: s.vocab, activation: 'softmax' }).apply(tfl.layers.layerNormalization().apply(h)) as tfl.SymbolicTensor;
  return tfl.model({ inputs: ids, outputs: out });
}
