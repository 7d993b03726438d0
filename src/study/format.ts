/** Number formatting shared by report.md and report.html (so both show the same text). */

/** Epsilon: "∞" for non-private, else 3 significant digits without exponent (0.651, 2.98, 1000). */
export function formatEpsilon(eps: number): string {
  if (eps === Infinity) return '∞';
  return String(Number(eps.toPrecision(3)));
}

/** A number with `digits` decimals; "∞" / "-∞" / "NaN" for non-finite values. */
export function formatFixed(x: number, digits: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '-∞';
  return x.toFixed(digits);
}

/** Exposure in bits, 2 decimals. */
export const formatExposure = (bits: number): string => formatFixed(bits, 2);
/** Validation loss in nats per token, 3 decimals. */
export const formatLoss = (nats: number): string => formatFixed(nats, 3);
/** Perplexity per token, 2 decimals. */
export const formatPerplexity = (ppl: number): string => formatFixed(ppl, 2);
