import { InvalidArgumentError } from '../util/errors.js';

/** Strict number parsing for flags: the whole string must be a finite number. */
export function parseNumber(flag: string, raw: string | undefined): number {
  if (raw === undefined) throw new InvalidArgumentError(`missing required option ${flag}`);
  const s = raw.trim();
  const v = s === '' ? NaN : Number(s);
  if (!Number.isFinite(v)) throw new InvalidArgumentError(`${flag} must be a finite number, got '${raw}'`);
  return v;
}

/** A number in [lo, hi] (each end open or closed). */
export function parseInRange(
  flag: string,
  raw: string | undefined,
  lo: number,
  hi: number,
  opts: { loOpen?: boolean; hiOpen?: boolean } = {},
): number {
  const v = parseNumber(flag, raw);
  const belowLo = opts.loOpen ? v <= lo : v < lo;
  const aboveHi = opts.hiOpen ? v >= hi : v > hi;
  if (belowLo || aboveHi) {
    const l = opts.loOpen ? '(' : '[';
    const r = opts.hiOpen ? ')' : ']';
    throw new InvalidArgumentError(`${flag} must be in ${l}${lo}, ${hi}${r}, got ${raw}`);
  }
  return v;
}

/** A non-negative (or positive) integer. */
export function parseInteger(flag: string, raw: string | undefined, opts: { min?: number } = {}): number {
  const v = parseNumber(flag, raw);
  const min = opts.min ?? 0;
  if (!Number.isSafeInteger(v) || v < min) {
    throw new InvalidArgumentError(`${flag} must be an integer >= ${min}, got ${raw}`);
  }
  return v;
}

/** A comma-separated list of numbers, e.g. "1.5,2,32". */
export function parseNumberList(flag: string, raw: string | undefined): number[] {
  if (raw === undefined) throw new InvalidArgumentError(`missing required option ${flag}`);
  const parts = raw.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts.some((p) => p === '')) {
    throw new InvalidArgumentError(`${flag} must be a comma-separated list of numbers, got '${raw}'`);
  }
  return parts.map((p) => parseNumber(flag, p));
}

/** JSON output where an infinite number becomes the string "Infinity" (JSON has no Infinity). */
export { toJson } from '../util/json.js';
