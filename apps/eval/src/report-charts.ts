import { isFailure } from './cell-record.js';
import type { CellRecord } from './cell-record.js';
import { ANALYZED_LINEARS } from './outlier-analysis.js';
import type { ResultIndex } from './results-tables.js';
import { formatPerplexity, methodLabel, patternLabel } from './results-tables.js';
import { PALETTE, barChart, lineChart } from './svg-charts.js';
import type { LineSeries } from './svg-charts.js';

export interface Figure {
  id: string;
  title: string;
  caption: string;
  svg: string;
}

/** A figure section: either figures, or a note saying why there are none yet. */
export interface FigureSection {
  id: string;
  title: string;
  intro?: string;
  figures: Figure[];
  empty?: string;
}

/** The paper's four methods keep their colours; other rows (RIA, + OBS, OWL, sweeps) take the palette in order. */
const BASE_COLORS: Readonly<Record<string, string>> = { Magnitude: PALETTE[0]!, SparseGPT: PALETTE[1]!, Wanda: PALETTE[2]!, DaSS: PALETTE[3]! };

function methodColors(labels: readonly string[]): Record<string, string> {
  const colors: Record<string, string> = {};
  const used = new Set(labels.map((l) => BASE_COLORS[l]).filter((c): c is string => c !== undefined));
  const free = PALETTE.filter((c) => !used.has(c));
  let next = 0;
  for (const label of labels) colors[label] = BASE_COLORS[label] ?? free[next++ % Math.max(1, free.length)] ?? PALETTE[0]!;
  return colors;
}

function ok(r: CellRecord | undefined): CellRecord | undefined {
  return r?.status === 'ok' ? r : undefined;
}

/** Light (first layer) to dark (last layer) blue. */
export function depthColor(i: number, n: number): string {
  const t = n <= 1 ? 1 : i / (n - 1);
  const from = [0x9e, 0xca, 0xe1];
  const to = [0x08, 0x30, 0x6b];
  return `#${from
    .map((f, k) =>
      Math.round(f + (to[k]! - f) * t)
        .toString(16)
        .padStart(2, '0'),
    )
    .join('')}`;
}

function perplexitySection(index: ResultIndex): FigureSection {
  const { grid } = index;
  const figures: Figure[] = [];
  const targets = grid.targets[0]!;
  for (const set of grid.perplexity) {
    for (const model of grid.models) {
      const pplOf = (r: CellRecord | undefined) => {
        const p = ok(r)?.perplexity?.[set.name];
        return p && !isFailure(p) ? p.ppl : undefined;
      };
      const groups = grid.patterns.map((p) => ({
        label: patternLabel(p.sparsity),
        values: grid.methods.map((m) => pplOf(index.prune(model.name, m.key, p.sparsity, targets))),
      }));
      const dense = pplOf(index.dense(model.name));
      const all = groups.flatMap((g) => g.values).filter((v): v is number => v !== undefined);
      if (all.length === 0 && dense === undefined) continue;
      const lo = Math.min(...all, dense ?? Infinity);
      const hi = Math.max(...all, dense ?? -Infinity);
      figures.push({
        id: `ppl-${set.name}-${model.name}`,
        title: `${model.name}: ${set.name} perplexity`,
        caption: `Perplexity per method and pattern (context ${set.seqlen}${hi / lo > 10 ? ', log scale' : ''}); dashed: dense.`,
        svg: barChart({
          title: `${model.name} · ${set.name} perplexity`,
          yLabel: 'perplexity',
          series: grid.methods.map((m) => methodLabel(m)),
          groups,
          refLines: dense === undefined ? [] : [{ label: 'Dense', value: dense }],
          logY: hi / lo > 10,
          colors: methodColors(grid.methods.map((m) => m.label)),
          formatValue: formatPerplexity,
        }),
      });
    }
  }
  return { id: 'plots-perplexity', title: 'Perplexity per method and pattern', figures, empty: 'No finished perplexity results yet.' };
}

function sparsitySection(index: ResultIndex): FigureSection {
  const { grid } = index;
  const figures: Figure[] = [];
  for (const model of grid.models) {
    for (const pattern of grid.patterns) {
      for (const targets of grid.targets) {
        const series: LineSeries[] = grid.methods.map((m) => ({
          name: methodLabel(m),
          color: methodColors(grid.methods.map((x) => x.label))[m.label],
          points: (ok(index.prune(model.name, m.key, pattern.sparsity, targets))?.sparsity?.layers ?? []).map((l) => [l.layer, 100 * l.ratio] as const),
        }));
        if (series.every((s) => s.points.length === 0)) continue;
        const label = `${model.name} · ${patternLabel(pattern.sparsity)}${grid.targets.length > 1 ? ` · ${targets}` : ''}`;
        figures.push({
          id: `sparsity-${model.name}-${pattern.sparsity}-${targets}`,
          title: `${label}: per-layer sparsity`,
          caption: `Zeros over the pruned matrices of each layer, read back from the written checkpoint (${targets} targets).`,
          svg: lineChart({
            title: `${label} · per-layer sparsity`,
            xLabel: 'layer',
            yLabel: 'sparsity (%)',
            series,
            integerX: true,
            yDomain: [0, 100],
            width: 420,
            height: 260,
          }),
        });
      }
    }
  }
  return { id: 'plots-sparsity', title: 'Per-layer sparsity', figures, empty: 'No finished pruning results yet.' };
}

function timeSection(index: ResultIndex): FigureSection {
  const { grid } = index;
  const figures: Figure[] = [];
  const targets = grid.targets[0]!;
  for (const model of grid.models) {
    const groups = grid.methods.map((m) => ({
      label: methodLabel(m),
      values: grid.patterns.map((p) => ok(index.prune(model.name, m.key, p.sparsity, targets))?.manifest?.wallSeconds),
    }));
    if (groups.every((g) => g.values.every((v) => v === undefined))) continue;
    figures.push({
      id: `time-${model.name}`,
      title: `${model.name}: pruning time`,
      caption: 'Wall time of the whole pruning run per method and pattern (loading, calibration, layer-sequential pruning, writing).',
      svg: barChart({
        title: `${model.name} · pruning time`,
        yLabel: 'seconds',
        series: grid.patterns.map((p) => patternLabel(p.sparsity)),
        groups,
        formatValue: (v) => `${v.toFixed(2)} s`,
      }),
    });
  }
  return { id: 'plots-time', title: 'Pruning time per method', figures, empty: 'No finished pruning results yet.' };
}

function analysisSection(index: ResultIndex): FigureSection {
  const { grid } = index;
  const figures: Figure[] = [];
  for (const model of grid.models) {
    const a = ok(index.analysis(model.name))?.analysis;
    if (!a || a.layers.length === 0) continue;
    for (const linear of ANALYZED_LINEARS) {
      figures.push({
        id: `outliers-${model.name}-${linear}`,
        title: `${model.name}: ${linear} Wanda-score outlier ratio`,
        caption: `Share of |W_ij|·‖X_j‖ scores above k × the matrix's mean score, per layer (dense model, ${a.tokens} calibration tokens).`,
        svg: lineChart({
          title: `${model.name} · ${linear} outlier ratio`,
          xLabel: 'layer',
          yLabel: 'scores above k × mean (%)',
          series: a.k.map((k, ki) => ({ name: `k = ${k}`, points: a.layers.map((l) => [l.layer, 100 * l.outlierRatio[linear][ki]!] as const) })),
          integerX: true,
          width: 420,
          height: 260,
        }),
      });
    }
    const n = a.layers.length;
    figures.push({
      id: `hnorm-${model.name}`,
      title: `${model.name}: intermediate-neuron norms`,
      caption: `Distribution of ‖h_i‖ (the input norms of down_proj, which DaSS ranks gate/up columns by) per layer; light = first layer, dark = last.`,
      svg: lineChart({
        title: `${model.name} · ‖h_i‖ histogram per layer`,
        xLabel: 'log10 ‖h_i‖',
        yLabel: 'neurons (%)',
        series: a.layers.map((l, i) => {
          const h = l.neuronNorms.log10Histogram;
          const total = h.counts.reduce((s, c) => s + c, 0) || 1;
          return {
            name: `layer ${l.layer}`,
            color: depthColor(i, n),
            points: h.counts.map((c, b) => [(h.edges[b]! + h.edges[b + 1]!) / 2, (100 * c) / total] as const),
          };
        }),
        legend: n <= 8,
        markers: false,
        width: 560,
        height: 300,
      }),
    });
  }
  return {
    id: 'plots-analysis',
    title: 'Outliers and neuron norms (the analysis DaSS motivates)',
    intro:
      'For each layer of the dense model: how heavy-tailed the Wanda scores of gate/up/down are (OWL-style outlier ratio), and how unevenly the intermediate neurons are used (‖h_i‖ over the calibration tokens). Quiet neurons are what DaSS prunes first in gate, up and down alike.',
    figures,
    empty: 'No finished analysis cells yet (the grid may disable the analysis).',
  };
}

/** Every figure of the report, by section. */
export function reportFigures(index: ResultIndex): FigureSection[] {
  return [perplexitySection(index), sparsitySection(index), timeSection(index), analysisSection(index)];
}
