/**
 * High-precision (decimal.js) evaluation of log(A_alpha) for fractional alpha, used when the
 * float64 series cannot prove 1e-10 relative accuracy (strong cancellation: large alpha, small
 * sigma; or A - 1 so small that float64 loses it). Same series as rdp-series.ts (Mironov et al.
 * 2019, Sec. 3.3), the alternating tails summed by the Euler transform, with enough decimal digits
 * to absorb the cancellation: the working precision is raised until the rounding bound (about
 * 10^(3-p) * sum |t| * (|exponent| + k + 10)) plus the Euler remainder bound is below 1e-13 of
 * A - 1.
 */
import { Decimal } from 'decimal.js';

type Dec = Decimal;
type DecCtor = typeof Decimal;

const ctorCache = new Map<number, { D: DecCtor; sqrtPi: Dec; sqrt2: Dec }>();

function context(digits: number): { D: DecCtor; sqrtPi: Dec; sqrt2: Dec } {
  let c = ctorCache.get(digits);
  if (!c) {
    const D = Decimal.clone({ precision: digits, rounding: Decimal.ROUND_HALF_EVEN, minE: -9e15, maxE: 9e15 });
    c = { D, sqrtPi: D.acos(-1).sqrt(), sqrt2: new D(2).sqrt() };
    ctorCache.set(digits, c);
  }
  return c;
}

/** The exact binary value of a float64 as a Decimal (no decimal-string rounding). */
export function exactDecimal(D: DecCtor, x: number): Dec {
  if (Number.isInteger(x)) return new D(x);
  let e = 0;
  let m = x;
  while (!Number.isInteger(m)) {
    m *= 2; // exact: scaling by 2 never rounds here
    e++;
  }
  return new D(m).div(new D(2).pow(e));
}

/**
 * erfc(x) to the context precision. x < 0: 2 - erfc(-x). 0 <= x < 3: 1 - erf(x) with
 * erf(x) = (2/sqrt(pi)) x e^{-x^2} sum_n (2x^2)^n / (2n+1)!! (all terms positive; A&S 7.1.6),
 * computed with 10 guard digits for the subtraction (erfc(3) > 1e-5). x >= 3: the continued
 * fraction erfc(x) = e^{-x^2}/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))) (A&S 7.1.14),
 * by the modified Lentz method.
 */
export function decimalErfc(x: Dec, digits: number): Dec {
  const { D } = context(digits);
  if (x.isNegative()) return new D(2).minus(decimalErfc(x.neg(), digits));
  if (x.lt(3)) {
    const g = context(digits + 10);
    const G = g.D;
    const xx = new G(x);
    const x2 = xx.times(xx);
    const twoX2 = x2.times(2);
    const eps = new G(10).pow(-(digits + 12));
    let t = new G(1);
    let s = new G(1);
    for (let n = 1; n < 100000; n++) {
      t = t.times(twoX2).div(2 * n + 1);
      s = s.plus(t);
      if (t.lt(s.times(eps))) break;
    }
    const erf = s.times(xx).times(x2.neg().exp()).times(2).div(g.sqrtPi);
    return new D(new G(1).minus(erf));
  }
  const { sqrtPi } = context(digits);
  const tiny = new D(10).pow(-(digits * 3));
  const eps = new D(10).pow(-(digits + 3));
  let f = x;
  let C = f;
  let Dd = new D(0);
  for (let n = 1; n < 1_000_000; n++) {
    const a = new D(n).div(2);
    Dd = x.plus(a.times(Dd));
    if (Dd.isZero()) Dd = tiny;
    Dd = new D(1).div(Dd);
    C = x.plus(a.div(C));
    if (C.isZero()) C = tiny;
    const delta = C.times(Dd);
    f = f.times(delta);
    if (delta.minus(1).abs().lt(eps)) break;
  }
  return x.times(x).neg().exp().div(sqrtPi.times(f));
}

export interface PreciseResult {
  /** log(A_alpha), rounded up to float64 after adding the error bound. */
  logA: number;
  /** Relative error bound on A - 1 actually achieved. */
  relErr: number;
  digits: number;
}

/**
 * log(A_alpha) for fractional alpha > 1, 0 < q < 1, sigma > 0, with `digits` significant
 * decimal digits to start; raised (up to 4 times) until the result is proven to 1e-13 relative
 * on A - 1. Returns null if even then it is not (the caller falls back to a bound).
 */
export function preciseLogA(q: number, sigma: number, alpha: number, digits = 30): PreciseResult | null {
  let p = digits;
  for (let attempt = 0; attempt < 5; attempt++) {
    const r = preciseOnce(q, sigma, alpha, p, attempt > 0);
    if (r.ok) return { logA: r.logA, relErr: r.relErr, digits: p };
    if (!Number.isFinite(r.needDigits)) return null;
    p = Math.max(p + 10, Math.ceil(r.needDigits) + 10);
    if (p > 300) return null; // bounded run time; the caller falls back to a proven bound
  }
  return null;
}

function preciseOnce(
  q: number,
  sigma: number,
  alpha: number,
  p: number,
  full: boolean,
): { ok: boolean; logA: number; relErr: number; needDigits: number } {
  const { D, sqrt2 } = context(p);
  const Q = (x: Dec): Dec => decimalErfc(x.div(sqrt2), p).div(2);
  const dq = exactDecimal(D, q);
  const ds = exactDecimal(D, sigma);
  const da = exactDecimal(D, alpha);
  const lq = dq.ln();
  const l1q = new D(1).minus(dq).ln();
  const s2 = ds.times(ds).times(2);
  const z0 = ds.times(ds).times(l1q.minus(lq)).plus(0.5);
  const kAlt = Math.floor(alpha) + 1;
  // At most enough Euler terms that the worst-case remainder b_0 / 2^M is below 10^-p; fewer when
  // the first tail term is already small next to |A - 1| (the error check below still applies).
  const maxM = Math.ceil(p * Math.log2(10)) + 20;
  let mHalf = [maxM, maxM];
  let kEnd = kAlt + maxM;
  let A = new D(0);
  let weighted = new D(0); // sum |t| (|exponent| + k + 10): scale of the rounding errors
  let err = new D(0);
  const ulp = new D(10).pow(3 - p);
  let C = new D(1);
  const tails: [Dec[], Dec[]] = [[], []];
  let tailSign = 1;
  for (let k = 0; k <= kEnd; k++) {
    const dk = new D(k);
    const j = k - kAlt;
    if (j <= mHalf[0]!) {
      const exL = da.minus(dk).times(l1q).plus(dk.times(lq)).plus(dk.times(dk).minus(dk).div(s2));
      const tL = C.times(exL.exp()).times(Q(dk.minus(z0).div(ds)));
      weighted = weighted.plus(tL.abs().times(exL.abs().plus(k + 10)));
      if (k < kAlt) A = A.plus(tL);
      else tails[0].push(tL.abs());
    }
    if (j <= mHalf[1]!) {
      const m = da.minus(dk);
      const exR = dk.times(l1q).plus(m.times(lq)).plus(m.times(m).minus(m).div(s2));
      const tR = C.times(exR.exp()).times(Q(z0.minus(m).div(ds)));
      weighted = weighted.plus(tR.abs().times(exR.abs().plus(k + 10)));
      if (k < kAlt) A = A.plus(tR);
      else tails[1].push(tR.abs());
    }
    if (j === 0) {
      tailSign = C.isNegative() ? -1 : 1;
      if (!full) {
        const ref = A.minus(1).abs();
        const need = (b0: Dec): number => {
          if (b0.isZero()) return 0;
          if (ref.isZero()) return maxM;
          // remainder <= b0 / 2^M: aim for 2^-56 (about 1e-17) of the partial |A - 1|.
          const bits = Math.ceil(b0.div(ref).log(2).toNumber()) + 60;
          return Math.min(maxM, Math.max(1, bits));
        };
        mHalf = [need(tails[0][0]!), need(tails[1][0]!)];
        kEnd = kAlt + Math.max(mHalf[0]!, mHalf[1]!);
      }
    }
    C = C.times(da.minus(dk)).div(k + 1);
  }
  // Euler transform of each alternating tail (see eulerTail in rdp-series.ts for the argument).
  tails.forEach((b, h) => {
    const M = mHalf[h]!;
    if (b.length === 0 || M === 0) return;
    let d = b.slice(0, M + 1);
    let s = new D(0);
    let scale = new D(0.5);
    for (let m = 0; m < M; m++) {
      s = s.plus(d[0]!.times(scale));
      const nd: Dec[] = [];
      for (let j = 0; j < d.length - 1; j++) nd.push(d[j]!.minus(d[j + 1]!));
      d = nd;
      scale = scale.div(2);
    }
    A = tailSign > 0 ? A.plus(s) : A.minus(s);
    err = err.plus(d[0]!.abs().times(scale).times(2)).plus(b[0]!.times(ulp).times(M));
  });
  const dA = A.minus(1);
  const rounding = weighted.times(ulp);
  err = err.plus(rounding);
  if (!dA.isPositive() || err.gte(dA.times(1e-13))) {
    // Digits needed so that the error is 1e-15 of A - 1.
    const need = dA.isPositive() ? p + Math.log10(err.div(dA).toNumber() / 1e-15) : p + 30;
    return { ok: false, logA: NaN, relErr: Infinity, needDigits: need };
  }
  const relErr = err.div(dA).toNumber();
  const up = dA.plus(err).plus(1).ln().toNumber();
  return { ok: true, logA: up * (1 + 4 * 2 ** -53), relErr, needDigits: p };
}
