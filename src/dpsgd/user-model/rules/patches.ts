import * as tf from '@tensorflow/tfjs-core';

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
 * so the convolution is patches x reshape(kernel, [kh*kw*C, cout]). Built from kh * kw strided
 * slices (no [kh*kw*C]^2 identity-filter convolution).
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
  const xp = gh.before + gh.after + gw.before + gw.after > 0 ? tf.pad(x, [[0, 0], [gh.before, gh.after], [gw.before, gw.after], [0, 0]]) : x;
  const parts: tf.Tensor4D[] = [];
  for (let dy = 0; dy < k[0]; dy++) {
    for (let dx = 0; dx < k[1]; dx++) {
      const y0 = dy * dilations[0];
      const x0 = dx * dilations[1];
      parts.push(
        tf.stridedSlice(xp, [0, y0, x0, 0], [B, y0 + (gh.outLen - 1) * strides[0] + 1, x0 + (gw.outLen - 1) * strides[1] + 1, C], [1, strides[0], strides[1], 1]) as tf.Tensor4D,
      );
    }
  }
  const all = parts.length === 1 ? parts[0]! : tf.concat(parts, 3);
  return tf.reshape(all, [B, gh.outLen * gw.outLen, k[0] * k[1] * C]) as tf.Tensor3D;
}

/** One value per spatial axis from a layer setting that may be a number or a list. */
export function pair(v: unknown, n: number): number[] {
  if (typeof v === 'number') return Array.from({ length: n }, () => v);
  if (Array.isArray(v) && v.length === n) return v as number[];
  if (Array.isArray(v) && v.length === 1) return Array.from({ length: n }, () => v[0] as number);
  throw new Error(`cannot read a convolution setting ${JSON.stringify(v)}`);
}
