import * as tf from '@tensorflow/tfjs-core';
import type { Layer } from '../types.js';
import { unsupported } from './internals.js';
import { InvalidArgumentError } from '../../../util/errors.js';

/** Padding before one spatial axis and the output length, as TensorFlow defines 'valid' and 'same'. */
export function convGeometry(inLen: number, k: number, stride: number, dilation: number, padding: 'valid' | 'same'): { before: number; after: number; outLen: number } {
  const span = (k - 1) * dilation + 1;
  if (padding === 'valid') return { before: 0, after: 0, outLen: Math.floor((inLen - span) / stride) + 1 };
  const outLen = Math.ceil(inLen / stride);
  const total = Math.max((outLen - 1) * stride + span - inLen, 0);
  const before = Math.floor(total / 2);
  return { before, after: total - before, outLen };
}

/**
 * The receptive-field patches of a 2-D convolution (im2col), x [B, H, W, C] ->
 * [B, Ho * Wo, kh * kw * C], ordered (dy, dx, c) like a flattened kernel [kh, kw, C, cout],
 * so the convolution is patches x reshape(kernel, [kh*kw*C, cout]); zeros where the window
 * hangs over the padding. Built in one JS pass over the values: the patches are only read by
 * the clipping after the backward pass (never differentiated), and tfjs's wasm StridedSlice and
 * many-input Concat took ~3 s for the bench CNN's first layer at batch 256.
 */
export function patches2d(
  x: tf.Tensor4D,
  k: [number, number],
  strides: [number, number],
  dilations: [number, number],
  padding: 'valid' | 'same',
): tf.Tensor3D {
  const [B, H, W, C] = x.shape;
  const gh = convGeometry(H, k[0], strides[0], dilations[0], padding);
  const gw = convGeometry(W, k[1], strides[1], dilations[1], padding);
  const src = x.dataSync() as Float32Array;
  const T = gh.outLen * gw.outLen;
  const D = k[0] * k[1] * C;
  const out = new Float32Array(B * T * D);
  let o = 0;
  for (let b = 0; b < B; b++) {
    const base = b * H * W * C;
    for (let oy = 0; oy < gh.outLen; oy++) {
      for (let ox = 0; ox < gw.outLen; ox++) {
        for (let dy = 0; dy < k[0]; dy++) {
          const iy = oy * strides[0] + dy * dilations[0] - gh.before;
          for (let dx = 0; dx < k[1]; dx++) {
            const ix = ox * strides[1] + dx * dilations[1] - gw.before;
            if (iy >= 0 && iy < H && ix >= 0 && ix < W) {
              const from = base + (iy * W + ix) * C;
              for (let c = 0; c < C; c++) out[o + c] = src[from + c]!;
            }
            o += C;
          }
        }
      }
    }
  }
  return tf.tensor3d(out, [B, T, D]);
}

/** One value per spatial axis from a layer setting that may be a number or a list. */
export function pair(v: unknown, n: number): number[] {
  if (typeof v === 'number') return Array.from({ length: n }, () => v);
  if (Array.isArray(v) && v.length === n) return v as number[];
  if (Array.isArray(v) && v.length === 1) return Array.from({ length: n }, () => v[0] as number);
  throw new InvalidArgumentError(`cannot read a convolution setting ${JSON.stringify(v)}`);
}

/** The convolution settings the rules reproduce: channels last, 'valid' or 'same' padding. */
export function checkConvolution(layer: Layer): string | null {
  return unsupported(layer.getConfig() as Record<string, unknown>, {
    dataFormat: (v) => v === undefined || v === 'channelsLast',
    padding: (v) => v === 'valid' || v === 'same',
  });
}
