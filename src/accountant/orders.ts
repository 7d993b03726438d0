/**
 * Default RDP orders: dp_accounting's DEFAULT_RDP_ORDERS (1.1 to 10.9 by 0.1, 11 to 63, 128,
 * 256, 512, 1024), so epsilon matches it, plus a few orders between and beyond them that
 * tighten epsilon for large noise (small epsilon, large optimal order). Adding orders can only
 * lower the reported epsilon; each order's bound is valid on its own.
 */
function build(): number[] {
  const orders: number[] = [];
  for (let x = 1; x < 100; x++) orders.push(1 + x / 10);
  for (let a = 11; a < 64; a++) orders.push(a);
  orders.push(80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512, 640, 768, 896, 1024, 1536, 2048);
  return orders;
}

/** The default grid of RDP orders (alpha > 1), ascending. */
export const DEFAULT_ORDERS: readonly number[] = Object.freeze(build());

/** dp_accounting's default orders exactly (for comparisons with its published numbers). */
export const DP_ACCOUNTING_ORDERS: readonly number[] = Object.freeze(
  build().filter((a) => a < 64 || a === 128 || a === 256 || a === 512 || a === 1024),
);
