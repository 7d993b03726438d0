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
 * Baseline and DP points, with an ε label and a sort key that puts ∞ last. Seeds of one DP
 * configuration share a position, labelled with the LARGEST ε any of them reached (never
 * below the target), so the axis cannot under-report privacy loss.
 */
function epsilonRows(report: StudyReport): { r: OkPointResult; epsLabel: string; epsOrder: number }[] {
  const rows = okResults(report).filter((r) => r.point.mitigation === 'dp' || r.point.mitigation === 'none');
  const worst = new Map<number, number>();
  for (const r of rows) {
    if (r.point.mitigation !== 'dp') continue;
    const target = r.point.targetEpsilon ?? r.epsilon;
    worst.set(target, Math.max(worst.get(target) ?? target, r.epsilon));
  }
  return rows.map((r) => {
    if (r.point.mitigation !== 'dp') return { r, epsLabel: NO_DP_LABEL, epsOrder: Number.MAX_VALUE };
    const target = r.point.targetEpsilon ?? r.epsilon;
    const eps = worst.get(target)!;
    return { r, epsLabel: eps === Infinity ? NO_DP_LABEL : formatEpsilon(eps), epsOrder: eps };
  });
}

const WIDTH = 420;
const HEIGHT = 260;

/** The epsilon axis shared by the plots against ε: ordinal, ∞ last. */
const EPSILON_AXIS = { field: 'epsLabel', type: 'ordinal', sort: { field: 'epsOrder', op: 'min' }, title: 'ε reached (∞ = no DP)', axis: { labelAngle: 0 } } as const;

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

/** Exposure (bits) against ε, one line per insertion count (mean over seeds). */
export function exposureVsEpsilonSpec(report: StudyReport): TopLevelSpec {
  const values = epsilonRows(report).flatMap(({ r, epsLabel, epsOrder }) =>
    r.canaries.map((c) => ({ epsLabel, epsOrder, insertions: `r=${c.insertions}`, insertionsN: c.insertions, exposure: c.exposure })),
  );
  return lineChart('Exposure against ε (one line per insertion count)', values, {
    x: EPSILON_AXIS,
    y: { field: 'exposure', type: 'quantitative', aggregate: 'mean', title: 'exposure (bits)' },
    color: { field: 'insertions', type: 'nominal', sort: { field: 'insertionsN', op: 'min' }, title: 'insertions' },
  });
}

/** Exposure (bits) against the insertion count, one line per mitigation configuration. */
export function exposureVsInsertionsSpec(report: StudyReport): TopLevelSpec {
  const values = okResults(report).flatMap((r, order) =>
    r.canaries.map((c) => ({ config: configLabelOf(r), order, insertions: c.insertions, exposure: c.exposure })),
  );
  return lineChart('Exposure against insertions, per mitigation', values, {
    x: { field: 'insertions', type: 'quantitative', scale: { type: 'log' }, title: 'times the canary was inserted' },
    y: { field: 'exposure', type: 'quantitative', aggregate: 'mean', title: 'exposure (bits)' },
    color: { field: 'config', type: 'nominal', title: 'mitigation', sort: { field: 'order', op: 'min' } },
  });
}

/** Validation perplexity against ε (utility cost of privacy), mean over seeds. */
export function utilityVsEpsilonSpec(report: StudyReport): TopLevelSpec {
  const values = epsilonRows(report).map(({ r, epsLabel, epsOrder }) => ({
    epsLabel,
    epsOrder,
    perplexity: r.validationPerplexity,
  }));
  return lineChart('Utility against ε (validation perplexity, lower is better)', values, {
    x: EPSILON_AXIS,
    y: { field: 'perplexity', type: 'quantitative', aggregate: 'mean', title: 'validation perplexity per token', scale: { zero: false } },
  });
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

/** The three report plots, rendered. */
export async function renderReportPlots(report: StudyReport): Promise<RenderedPlot[]> {
  const specs = [exposureVsEpsilonSpec(report), exposureVsInsertionsSpec(report), utilityVsEpsilonSpec(report)];
  const out: RenderedPlot[] = [];
  for (const spec of specs) {
    const data = (spec as { data?: { values?: unknown[] } }).data;
    out.push({ title: String((spec as { title?: unknown }).title ?? ''), svg: await renderSvg(spec), rows: data?.values?.length ?? 0 });
  }
  return out;
}
