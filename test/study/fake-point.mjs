// A stand-in for real training, as plain JavaScript so worker threads can import it.
// Its numbers follow simple rules of the point (no randomness), so two runs of a point agree
// on everything except wall-clock time.

/** log2 |R| of a `{digits:N}` format. */
function log2R(format) {
  const slot = format.match(/\{digits:(\d+)\}/);
  return (slot ? Number(slot[1]) : 0) * Math.log2(10);
}

export async function fakePoint(point, ctx) {
  ctx.progress(`training ${point.id}`);
  const maxBits = log2R(point.canaryFormat);
  const protectedPoint = point.mitigation === 'dp' || point.mitigation === 'sanitize';
  const canaries = point.insertions.map((r) => {
    const exposure = protectedPoint ? 1 + (r % 3) * 0.25 : Math.min(maxBits, 1 + 3 * Math.log2(r) + point.seed * 0.125);
    const extracted = exposure >= maxBits - 1e-9;
    return {
      name: `r${r}`,
      insertions: r,
      logPerplexityBits: maxBits - exposure + 4,
      exposure,
      exposureMethod: 'exact',
      extracted,
      ...(extracted ? { extractionRank: 1 } : {}),
      extractionQueries: 50 * r,
    };
  });
  const validationLoss = 1.5 + (point.mitigation === 'dp' ? 1 / point.targetEpsilon : 0) + point.dropout * 0.1;
  return {
    epsilon: point.mitigation === 'dp' ? point.targetEpsilon * 0.995 : Infinity,
    delta: point.delta,
    noiseMultiplier: point.mitigation === 'dp' ? 1 / point.targetEpsilon : 0,
    steps: point.epochs * 10,
    validationLoss,
    validationPerplexity: Math.exp(validationLoss),
    trainSeconds: performance.now() % 1, // differs between runs, like real wall-clock time
    backend: 'cpu',
    randomSource: 'seeded',
    log2R: maxBits,
    canaries,
    exposureByEpoch: Array.from({ length: Math.ceil(point.epochs) }, (_, i) => ({
      epoch: i + 1,
      exposure: Object.fromEntries(canaries.map((c) => [c.name, (c.exposure * (i + 1)) / point.epochs])),
      exposureMethod: 'exact',
      trainLoss: validationLoss + 1 / (i + 1),
      validationLoss: validationLoss + 0.5 / (i + 1),
    })),
    ...(point.mitigation === 'sanitize' ? { sanitizedLines: point.insertions.reduce((a, b) => a + b, 0) } : {}),
  };
}

export async function failingPoint(point) {
  throw new Error(`cannot train ${point.id}: out of patience`);
}

/**
 * Reports its thread budget (ctx.threads and every change) as progress lines and returns the
 * most it had; runs for `workerData`-free durations: ms from the point's id ('slow' in the id
 * means long). Measurement as fakePoint's.
 */
export async function budgetPoint(point, ctx) {
  let most = ctx.threads ?? 0;
  ctx.progress(`threads ${ctx.threads}`);
  ctx.onThreadsChange?.((n) => {
    most = Math.max(most, n);
    ctx.progress(`threads ${n}`);
  });
  const ms = point.mitigation === 'none' ? 1500 : 100;
  await new Promise((resolve) => setTimeout(resolve, ms));
  return { ...(await fakePoint(point, { progress: () => undefined })), threads: most };
}
