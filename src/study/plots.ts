import { naturalExposureSpec } from './natural-report.js';
import * as vegaLite from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import * as vega from 'vega';
import { formatEpsilon } from './format.js';
import { configLabelOf, orderedResults } from './summary.js';
import type { OkPointResult, StudyReport } from './types.js';

/**
 * The report's plots as vega-lite specs, rendered to SVG in Node by vega (renderer 'none':
 * no canvas or browser needed). Non-private points (ε = ∞) sit at a labelled position "∞ (no
 * DP)" to the right of every finite ε on an ordinal ε axis.
 */

const NO_DP_LABEL = '∞ (no DP)';

function okResults(report: StudyReport): OkPointResult[] {
  return orderedResults(report).filter((r): r is OkPointResult => r.status === 'ok');
}

/**
 * Baseline and DP points of the study modes (not the public model), with an ε label and a sort
 * key that puts ∞ last. Seeds of one DP configuration share a position, labelled with the
 * LARGEST ε any of them reached (never below the target, and the same for both modes), so the
 * axis cannot under-report privacy loss.
 */
function epsilonRows(report: StudyReport): { r: OkPointResult; mode: string; epsLabel: string; epsOrder: number }[] {
  const rows = okResults(report).filter((r) => r.point.mode !== 'public' && (r.point.mitigation === 'dp' || r.point.mitigation === 'none'));
  // Keyed by unit and target: a user-level and a window-level point at one target are different positions.
  const keyOf = (r: OkPointResult): string => `${r.point.privacyUnit ?? 'window'}|${r.point.targetEpsilon ?? r.epsilon}`;
  const worst = new Map<string, number>();
  for (const r of rows) {
    if (r.point.mitigation !== 'dp') continue;
    const target = r.point.targetEpsilon ?? r.epsilon;
    worst.set(keyOf(r), Math.max(worst.get(keyOf(r)) ?? target, r.epsilon));
  }
  return rows.map((r) => {
    const mode = r.point.mode ?? 'scratch';
    if (r.point.mitigation !== 'dp') return { r, mode, epsLabel: NO_DP_LABEL, epsOrder: Number.MAX_VALUE };
    const eps = worst.get(keyOf(r))!;
    const unit = r.point.privacyUnit ?? 'window';
    // Window points keep the bare number (the axis title says so); larger units are named.
    const label = eps === Infinity ? NO_DP_LABEL : unit === 'window' ? formatEpsilon(eps) : `${formatEpsilon(eps)} per ${unit}`;
    return { r, mode, epsLabel: label, epsOrder: eps };
  });
}

/** The canary inserted most often (the one memorized first). */
function mostInserted(r: OkPointResult): OkPointResult['canaries'][number] | undefined {
  return r.canaries.reduce<OkPointResult['canaries'][number] | undefined>((a, b) => (a === undefined || b.insertions > a.insertions ? b : a), undefined);
}

const WIDTH = 420;
const HEIGHT = 260;

/** The epsilon axis shared by the plots against ε: ordinal, ∞ last. */
const EPSILON_AXIS = { field: 'epsLabel', type: 'ordinal', sort: { field: 'epsOrder', op: 'min' }, title: 'ε reached, per window unless named (∞ = no DP)', axis: { labelAngle: 0 } } as const;

/** A line chart with points; every report plot is one. */
function lineChart(title: string, values: Record<string, unknown>[], encoding: Record<string, unknown>): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    mark: { type: 'line', point: true },
    encoding,
  } as TopLevelSpec;
}

/**
 * The privacy / utility / memorization tradeoff: validation loss (top) and the most-inserted
 * canary's exposure (bottom) against ε, one line per mode (mean over seeds).
 */
export function tradeoffSpec(report: StudyReport): TopLevelSpec {
  const values = epsilonRows(report).flatMap(({ r, mode, epsLabel, epsOrder }) => {
    const top = mostInserted(r);
    return [{ epsLabel, epsOrder, mode, loss: r.validationLoss, exposure: top?.exposure ?? null, canary: top ? `r=${top.insertions}` : '' }];
  });
  const color = { field: 'mode', type: 'nominal', title: 'mode' };
  const panel = (field: string, title: string, zero: boolean): Record<string, unknown> => ({
    width: WIDTH,
    height: HEIGHT / 1.4,
    mark: { type: 'line', point: true },
    encoding: {
      x: EPSILON_AXIS,
      y: { field, type: 'quantitative', aggregate: 'mean', title, scale: { zero } },
      color,
    },
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Privacy, utility and memorization against ε (lower is better in both panels)',
    data: { values },
    vconcat: [panel('loss', 'validation loss (nats/token)', false), panel('exposure', "most-inserted canary's exposure (bits)", true)],
  } as unknown as TopLevelSpec;
}

/** Exposure (bits) against ε, one line per insertion count (dashes: mode; mean over seeds). */
export function exposureVsEpsilonSpec(report: StudyReport): TopLevelSpec {
  const values = epsilonRows(report).flatMap(({ r, mode, epsLabel, epsOrder }) =>
    r.canaries.map((c) => ({ epsLabel, epsOrder, mode, insertions: `r=${c.insertions}`, insertionsN: c.insertions, exposure: c.exposure })),
  );
  return lineChart('Exposure against ε (one line per insertion count and mode)', values, {
    x: EPSILON_AXIS,
    y: { field: 'exposure', type: 'quantitative', aggregate: 'mean', title: 'exposure (bits)' },
    color: { field: 'insertions', type: 'nominal', sort: { field: 'insertionsN', op: 'min' }, title: 'insertions' },
    strokeDash: { field: 'mode', type: 'nominal', title: 'mode' },
  });
}

/** Exposure (bits) against the insertion count, one line per configuration (mode and mitigation). */
export function exposureVsInsertionsSpec(report: StudyReport): TopLevelSpec {
  const values = okResults(report).flatMap((r, order) =>
    r.canaries.map((c) => ({ config: `${r.point.mode ?? 'scratch'}: ${configLabelOf(r)}`, order, insertions: c.insertions, exposure: c.exposure })),
  );
  return lineChart('Exposure against insertions, per configuration', values, {
    x: { field: 'insertions', type: 'quantitative', scale: { type: 'log' }, title: 'times the canary was inserted' },
    y: { field: 'exposure', type: 'quantitative', aggregate: 'mean', title: 'exposure (bits)' },
    color: { field: 'config', type: 'nominal', title: 'configuration', sort: { field: 'order', op: 'min' } },
  });
}

/**
 * One point's training curves: training and validation loss (left axis, nats/token) and the
 * most-inserted canary's exposure (right axis, bits) after each epoch. Undefined when the point
 * recorded no per-epoch losses.
 */
export function trainingCurvesSpec(r: OkPointResult): TopLevelSpec | undefined {
  const top = mostInserted(r);
  const epochs = r.exposureByEpoch.filter((e) => e.validationLoss !== undefined);
  if (epochs.length === 0) return undefined;
  const losses = epochs.flatMap((e) => [
    ...(e.trainLoss !== undefined ? [{ epoch: e.epoch, series: 'training loss', value: e.trainLoss }] : []),
    { epoch: e.epoch, series: 'validation loss', value: e.validationLoss! },
  ]);
  const exposure = top ? epochs.flatMap((e) => (e.exposure[top.name] !== undefined ? [{ epoch: e.epoch, exposure: e.exposure[top.name]! }] : [])) : [];
  const x = { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } };
  const layers: Record<string, unknown>[] = [
    {
      data: { values: losses },
      mark: { type: 'line', point: true },
      encoding: { x, y: { field: 'value', type: 'quantitative', title: 'loss (nats/token)', scale: { zero: false } }, color: { field: 'series', type: 'nominal', title: '' } },
    },
  ];
  if (exposure.length > 0) {
    layers.push({
      data: { values: exposure },
      mark: { type: 'line', point: true, strokeDash: [4, 3], color: '#888' },
      encoding: { x, y: { field: 'exposure', type: 'quantitative', title: `exposure of the r=${top!.insertions} canary (bits, dashed)` } },
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `${r.id}: losses and exposure per epoch`,
    width: WIDTH * 0.8,
    height: HEIGHT * 0.8,
    layer: layers,
    resolve: { scale: { y: 'independent' } },
  } as unknown as TopLevelSpec;
}

/**
 * The one-run audit beside the claim: for every audited point, the empirical lower bound on
 * epsilon and (where finite) the claimed epsilon, on a log-free linear axis. Undefined when no
 * point was audited.
 */
export function auditSpec(report: StudyReport): TopLevelSpec | undefined {
  const values = okResults(report).flatMap((r, order) => {
    if (!r.audit) return [];
    const rows: Record<string, unknown>[] = [{ id: r.id, order, series: 'audited lower bound (95%)', epsilon: r.audit.epsilonLowerBound }];
    if (Number.isFinite(r.epsilon) && r.point.mode !== 'public') rows.push({ id: r.id, order, series: 'claimed ε (RDP)', epsilon: r.epsilon });
    return rows;
  });
  if (values.length === 0) return undefined;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Claimed ε and the audited lower bound per point (no claim: trained without DP)',
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    mark: { type: 'point', filled: true, size: 70 },
    encoding: {
      x: { field: 'id', type: 'nominal', sort: { field: 'order', op: 'min' }, title: 'point', axis: { labelAngle: -40 } },
      y: { field: 'epsilon', type: 'quantitative', title: 'ε (nats)', scale: { type: 'symlog' } },
      color: { field: 'series', type: 'nominal', title: '' },
    },
  } as TopLevelSpec;
}

/** Render a vega-lite spec to a standalone SVG string in Node. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = vegaLite.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** A rendered plot: title, SVG, and how many data rows it shows. */
export interface RenderedPlot {
  title: string;
  svg: string;
  rows: number;
}

/** The report's plots, rendered: the tradeoff, exposure against ε and insertions, then each point's training curves. */
export async function renderReportPlots(report: StudyReport): Promise<RenderedPlot[]> {
  const specs = [tradeoffSpec(report), exposureVsEpsilonSpec(report), exposureVsInsertionsSpec(report)];
  const audit = auditSpec(report);
  if (audit) specs.push(audit);
  const natural = naturalExposureSpec(report);
  if (natural) specs.push(natural);
  for (const r of okResults(report)) {
    const spec = trainingCurvesSpec(r);
    if (spec) specs.push(spec);
  }
  const out: RenderedPlot[] = [];
  for (const spec of specs) {
    const sp = spec as { data?: { values?: unknown[] }; layer?: { data?: { values?: unknown[] } }[] };
    const rows = sp.data?.values?.length ?? (sp.layer ?? []).reduce((n, l) => n + (l.data?.values?.length ?? 0), 0);
    out.push({ title: String((spec as { title?: unknown }).title ?? ''), svg: await renderSvg(spec), rows });
  }
  return out;
}
