/**
 * Nelder-Mead simplex minimization with the standard coefficients (reflection 1, expansion 2,
 * contraction 1/2, shrink 1/2; Nelder & Mead 1965, as stated by Lagarias et al. 1998).
 * Infinite values mark infeasible points.
 */
export function nelderMead(
  f: (x: readonly number[]) => number,
  x0: readonly number[],
  opts: { steps?: readonly number[]; maxIterations?: number; fTol?: number; xTol?: number } = {},
): { x: number[]; value: number; iterations: number } {
  const d = x0.length;
  const maxIt = opts.maxIterations ?? 2000;
  const fTol = opts.fTol ?? 1e-12;
  const xTol = opts.xTol ?? 1e-10;
  let pts: number[][] = [x0.slice()];
  for (let i = 0; i < d; i++) {
    const p = x0.slice();
    p[i] = p[i]! + (opts.steps?.[i] ?? 0.1 * (Math.abs(p[i]!) || 1));
    pts.push(p);
  }
  let vals = pts.map((p) => f(p));
  let it = 0;
  const combine = (a: readonly number[], b: readonly number[], t: number): number[] => a.map((ai, k) => ai + t * (b[k]! - ai));
  for (; it < maxIt; it++) {
    const order = vals.map((_, i) => i).sort((a, b) => vals[a]! - vals[b]!);
    pts = order.map((i) => pts[i]!);
    vals = order.map((i) => vals[i]!);
    const spreadF = Math.abs(vals[d]! - vals[0]!);
    let spreadX = 0;
    for (let i = 1; i <= d; i++) for (let k = 0; k < d; k++) spreadX = Math.max(spreadX, Math.abs(pts[i]![k]! - pts[0]![k]!));
    if (Number.isFinite(vals[d]!) && spreadF <= fTol * (1 + Math.abs(vals[0]!)) && spreadX <= xTol) break;
    const centroid = new Array<number>(d).fill(0);
    for (let i = 0; i < d; i++) for (let k = 0; k < d; k++) centroid[k] = centroid[k]! + pts[i]![k]! / d;
    const worst = pts[d]!;
    const xr = combine(centroid, worst, -1);
    const fr = f(xr);
    if (fr < vals[0]!) {
      const xe = combine(centroid, worst, -2);
      const fe = f(xe);
      if (fe < fr) {
        pts[d] = xe;
        vals[d] = fe;
      } else {
        pts[d] = xr;
        vals[d] = fr;
      }
      continue;
    }
    if (fr < vals[d - 1]!) {
      pts[d] = xr;
      vals[d] = fr;
      continue;
    }
    // Contraction: outside if the reflection beat the worst point, inside otherwise.
    const outside = fr < vals[d]!;
    const xc = outside ? combine(centroid, worst, -0.5) : combine(centroid, worst, 0.5);
    const fc = f(xc);
    if (fc < (outside ? fr : vals[d]!)) {
      pts[d] = xc;
      vals[d] = fc;
      continue;
    }
    for (let i = 1; i <= d; i++) {
      pts[i] = combine(pts[0]!, pts[i]!, 0.5);
      vals[i] = f(pts[i]!);
    }
  }
  let bi = 0;
  for (let i = 1; i <= d; i++) if (vals[i]! < vals[bi]!) bi = i;
  return { x: pts[bi]!, value: vals[bi]!, iterations: it };
}
