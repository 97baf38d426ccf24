import { formatPercent } from '@dass/evaluation';
import type { PerplexityResult, ZeroShotResult } from '@dass/evaluation';
import type { CellRecord } from './cell-record.js';
import { gridCells } from './grid-cells.js';
import type { CellSpec } from './grid-cells.js';
import { scoringMethods } from '@dass/scoring';
import type { GridMethod, GridModel, GridPattern, GridPerplexitySet, GridSpec } from './grid-spec.js';
import { publishedFor } from './published-results.js';

export interface TableCell {
  text: string;
  bold?: boolean;
  /** Shown on hover in the HTML report (e.g. an error message). */
  note?: string;
}

export interface TableRow {
  label: string;
  cells: TableCell[];
  /** The dense baseline row (drawn apart, never bold). */
  dense?: boolean;
}

/** A table as the paper lays it out: rows = methods (dense on top), columns = model × pattern. */
export interface ResultTable {
  id: string;
  title: string;
  caption?: string;
  corner: string;
  header: string[];
  rows: TableRow[];
}

/** A grid row's label, or a registered method's label by name (published results name plain methods). */
export function methodLabel(method: GridMethod | string): string {
  if (typeof method !== 'string') return method.label;
  return Object.hasOwn(scoringMethods, method) ? scoringMethods[method]!.label : method;
}

/** `0.5` → `50%`, `2:4` stays. */
export function patternLabel(sparsity: string): string {
  if (sparsity.includes(':')) return sparsity;
  return `${+(Number(sparsity) * 100).toFixed(4)}%`;
}

/** Finds the records of a grid's cells by what they are rather than by id. */
export class ResultIndex {
  private readonly byId: Map<string, CellRecord>;
  readonly cells: CellSpec[];

  constructor(
    readonly grid: GridSpec,
    records: readonly CellRecord[],
  ) {
    this.cells = gridCells(grid);
    this.byId = new Map(records.map((r) => [r.id, r]));
  }

  record(cell: CellSpec | undefined): CellRecord | undefined {
    return cell ? this.byId.get(cell.id) : undefined;
  }

  dense(model: string): CellRecord | undefined {
    return this.record(this.cells.find((c) => c.kind === 'dense' && c.model.name === model));
  }

  analysis(model: string): CellRecord | undefined {
    return this.record(this.cells.find((c) => c.kind === 'analysis' && c.model.name === model));
  }

  /** The prune cell of a grid row (`GridMethod.key`, the method name for plain rows). */
  prune(model: string, row: string, sparsity: string, targets: string): CellRecord | undefined {
    return this.record(
      this.cells.find(
        (c) => c.kind === 'prune' && c.model.name === model && (c.row ?? c.method) === row && c.pattern?.sparsity === sparsity && c.targets === targets,
      ),
    );
  }

  /** Whether the grid has a cell for this row and pattern (OWL rows have none for N:M). */
  hasPrune(model: string, row: string, sparsity: string, targets: string): boolean {
    return this.cells.some(
      (c) => c.kind === 'prune' && c.model.name === model && (c.row ?? c.method) === row && c.pattern?.sparsity === sparsity && c.targets === targets,
    );
  }
}

export interface GridColumn {
  model: GridModel;
  pattern: GridPattern;
  targets: string;
  label: string;
}

/** model × pattern (× target set when the grid has several). */
export function gridColumns(grid: GridSpec): GridColumn[] {
  const columns: GridColumn[] = [];
  for (const model of grid.models) {
    for (const pattern of grid.patterns) {
      for (const targets of grid.targets) {
        const label = `${model.name} · ${patternLabel(pattern.sparsity)}${grid.targets.length > 1 ? ` · ${targets}` : ''}`;
        columns.push({ model, pattern, targets, label });
      }
    }
  }
  return columns;
}

type Value = number | { text: string; note?: string };

/** A row × pattern the grid does not run (OWL with N:M). */
const NOT_APPLICABLE = { cell: { text: 'n/a', note: 'not applicable: per-layer ratios are unstructured only' } };

function cellOf(
  record: CellRecord | undefined,
  pick: (r: CellRecord) => Value | undefined,
  format: (v: number) => string,
): { cell: TableCell; value?: number } {
  if (!record) return { cell: { text: '–', note: 'not run yet' } };
  if (record.status === 'failed') return { cell: { text: 'failed', note: record.error?.message } };
  const v = pick(record);
  if (v === undefined) return { cell: { text: 'n/a' } };
  if (typeof v === 'number') return Number.isFinite(v) ? { cell: { text: format(v) }, value: v } : { cell: { text: String(v) } };
  return { cell: { text: v.text, ...(v.note ? { note: v.note } : {}) } };
}

/**
 * The paper-style table of one metric: a dense row (its model's baseline in every column), then one row per method;
 * the best method per column in bold (`better` says which way), ties all bold.
 */
export function methodTable(
  index: ResultIndex,
  options: {
    id: string;
    title: string;
    caption?: string;
    pick: (r: CellRecord) => Value | undefined;
    format: (v: number) => string;
    better: 'lower' | 'higher' | 'none';
    includeDense?: boolean;
  },
): ResultTable {
  const columns = gridColumns(index.grid);
  const rows: TableRow[] = [];
  if (options.includeDense ?? true) {
    rows.push({ label: 'Dense', dense: true, cells: columns.map((c) => cellOf(index.dense(c.model.name), options.pick, options.format).cell) });
  }
  const methodCells = index.grid.methods.map((m) =>
    columns.map((c) =>
      index.hasPrune(c.model.name, m.key, c.pattern.sparsity, c.targets)
        ? cellOf(index.prune(c.model.name, m.key, c.pattern.sparsity, c.targets), options.pick, options.format)
        : { ...NOT_APPLICABLE, cell: { ...NOT_APPLICABLE.cell } },
    ),
  );
  if (options.better !== 'none') {
    columns.forEach((_, ci) => {
      const values = methodCells.map((row) => row[ci]!.value).filter((v): v is number => v !== undefined);
      if (values.length < 2) return;
      const best = options.better === 'lower' ? Math.min(...values) : Math.max(...values);
      for (const row of methodCells) if (row[ci]!.value === best) row[ci]!.cell.bold = true;
    });
  }
  index.grid.methods.forEach((m, mi) => rows.push({ label: methodLabel(m), cells: methodCells[mi]!.map((c) => c.cell) }));
  return {
    id: options.id,
    title: options.title,
    ...(options.caption ? { caption: options.caption } : {}),
    corner: 'Method',
    header: columns.map((c) => c.label),
    rows,
  };
}

export function formatPerplexity(v: number): string {
  if (v >= 1e5) return v.toExponential(2);
  return v >= 1000 ? v.toFixed(0) : v.toFixed(2);
}

/** Table cells under a `(%)` header: one decimal, no sign. */
export const formatPercentCell = (v: number) => formatPercent(v, 1, { unit: false });

function perplexityValue(set: GridPerplexitySet) {
  return (r: CellRecord): Value | undefined => {
    const p = r.perplexity?.[set.name];
    if (!p) return undefined;
    if ('error' in p) return { text: 'n/a', note: p.error };
    return (p as PerplexityResult).ppl;
  };
}

function zeroShotOf(r: CellRecord, task: string): ZeroShotResult | { error: string } | undefined {
  return r.zeroShot?.find((z) => ('task' in z ? z.task : undefined) === task) as ZeroShotResult | { error: string } | undefined;
}

/** Per model: rows = dense and method × pattern, columns = tasks (acc) and their mean. */
function zeroShotDetailTable(index: ResultIndex, model: GridModel): ResultTable {
  const tasks = index.grid.zeroShot!.tasks;
  const rows: TableRow[] = [];
  const rowOf = (label: string, r: CellRecord | undefined, dense = false): { row: TableRow; values: (number | undefined)[] } => {
    const picks = [
      ...tasks.map((t) => (rec: CellRecord): Value | undefined => {
        const z = zeroShotOf(rec, t);
        if (!z) return undefined;
        return 'error' in z ? { text: 'n/a', note: z.error } : z.acc;
      }),
      (rec: CellRecord) => rec.zeroShotMeanAcc,
    ];
    const cells = picks.map((p) => cellOf(r, p, formatPercentCell));
    return { row: { label, cells: cells.map((c) => c.cell), ...(dense ? { dense } : {}) }, values: cells.map((c) => c.value) };
  };
  rows.push(rowOf('Dense', index.dense(model.name), true).row);
  for (const pattern of index.grid.patterns) {
    for (const targets of index.grid.targets) {
      const group = index.grid.methods
        .filter((m) => index.hasPrune(model.name, m.key, pattern.sparsity, targets))
        .map((m) =>
          rowOf(
            `${methodLabel(m)} ${patternLabel(pattern.sparsity)}${index.grid.targets.length > 1 ? ` ${targets}` : ''}`,
            index.prune(model.name, m.key, pattern.sparsity, targets),
          ),
        );
      for (let ci = 0; ci <= tasks.length; ci++) {
        const values = group.map((g) => g.values[ci]).filter((v): v is number => v !== undefined);
        if (values.length < 2) continue;
        const best = Math.max(...values);
        for (const g of group) if (g.values[ci] === best) g.row.cells[ci]!.bold = true;
      }
      rows.push(...group.map((g) => g.row));
    }
  }
  const limit = index.grid.zeroShot!.limit;
  return {
    id: `zero-shot-${model.name}`,
    title: `Zero-shot accuracy (%), ${model.name}`,
    caption: `acc per task${limit ? ` on the first ${limit} items` : ''}; best pruned result per pattern and column in bold.`,
    corner: 'Method',
    header: [...tasks, 'Mean'],
    rows,
  };
}

/** Ours beside the published numbers, for models the literature reports (one table per such model). */
function publishedTable(index: ResultIndex, model: GridModel): ResultTable | undefined {
  const published = publishedFor(model);
  if (!published) return undefined;
  const set = index.grid.perplexity.find((s) => /wiki/i.test(s.name)) ?? index.grid.perplexity[0];
  if (!set) return undefined;
  const patterns = [...new Set([...Object.values(published.perplexity).flatMap((p) => Object.keys(p)), ...index.grid.patterns.map((p) => p.sparsity)])];
  const targets = index.grid.targets.includes('mlp') ? 'mlp' : index.grid.targets[0]!;
  const ours = (r: CellRecord | undefined) => {
    const p = r?.status === 'ok' ? r.perplexity?.[set.name] : undefined;
    return p && !('error' in p) ? formatPerplexity(p.ppl) : r?.status === 'failed' ? 'failed' : '–';
  };
  const pair = (o: string, pub: number | undefined) => ({ text: `${o} / ${pub === undefined ? '–' : formatPerplexity(pub)}` });
  const rowOf = new Map(index.grid.methods.map((m) => [m.key, m]));
  const methods = [...new Set([...index.grid.methods.map((m) => m.key), ...Object.keys(published.perplexity)])];
  const rows: TableRow[] = [
    { label: 'Dense', dense: true, cells: patterns.map(() => pair(ours(index.dense(model.name)), published.dense)) },
    ...methods.map((m) => ({
      label: methodLabel(rowOf.get(m) ?? m),
      cells: patterns.map((p) => pair(ours(index.prune(model.name, m, p, targets)), published.perplexity[m]?.[p])),
    })),
  ];
  return {
    id: `published-${model.name}`,
    title: `${model.name}: ours / published (${published.model})`,
    caption: `Ours: ${set.name} perplexity at context ${set.seqlen} (${targets} targets). Published: ${published.protocol}, from ${published.source} (${published.url}). The contexts differ, so expect ours to be somewhat higher.`,
    corner: 'Method',
    header: patterns.map(patternLabel),
    rows,
  };
}

/**
 * Splits a model × pattern table into tables of whole models with at most `maxColumns` columns each (the paper
 * grid's 18 columns do not fit a page); ids and titles of the parts say which models they hold.
 */
export function splitByModels(table: ResultTable, models: readonly string[], maxColumns = 9): ResultTable[] {
  const perModel = table.header.length / models.length;
  if (!Number.isInteger(perModel) || table.header.length <= maxColumns) return [table];
  const modelsPerTable = Math.max(1, Math.floor(maxColumns / perModel));
  const parts: ResultTable[] = [];
  for (let first = 0; first < models.length; first += modelsPerTable) {
    const names = models.slice(first, first + modelsPerTable);
    const [from, to] = [first * perModel, (first + names.length) * perModel];
    parts.push({
      ...table,
      id: first === 0 ? table.id : `${table.id}-${parts.length + 1}`,
      title: `${table.title}: ${names.join(', ')}`,
      header: table.header.slice(from, to),
      rows: table.rows.map((r) => ({ ...r, cells: r.cells.slice(from, to) })),
    });
  }
  return parts;
}

/** Every table of the report, in reading order. */
export function resultTables(index: ResultIndex): ResultTable[] {
  const grid = index.grid;
  const tables: ResultTable[] = [];
  const split = (t: ResultTable) =>
    splitByModels(
      t,
      grid.models.map((m) => m.name),
    );
  for (const set of grid.perplexity) {
    tables.push(
      ...split(
        methodTable(index, {
          id: `ppl-${set.name}`,
          title: `${set.name} perplexity (context ${set.seqlen}${set.maxWindows ? `, first ${set.maxWindows} windows` : ''})`,
          caption: 'Lower is better; best pruned result per column in bold.',
          pick: perplexityValue(set),
          format: formatPerplexity,
          better: 'lower',
        }),
      ),
    );
  }
  if (grid.zeroShot) {
    tables.push(
      ...split(
        methodTable(index, {
          id: 'zero-shot-mean',
          title: `Zero-shot mean accuracy (%) over ${grid.zeroShot.tasks.join(', ')}`,
          caption: `Higher is better${grid.zeroShot.limit ? `; first ${grid.zeroShot.limit} items per task` : ''}.`,
          pick: (r) => r.zeroShotMeanAcc,
          format: formatPercentCell,
          better: 'higher',
        }),
      ),
    );
  }
  for (const model of grid.models) {
    const t = publishedTable(index, model);
    if (t) tables.push(t);
  }
  if (grid.zeroShot) for (const model of grid.models) tables.push(zeroShotDetailTable(index, model));
  tables.push(
    ...split(
      methodTable(index, {
        id: 'sparsity',
        title: 'Sparsity over the pruned matrices (%, read back from the written checkpoint)',
        caption:
          'N:M rows: ✓ = every complete group along the method’s axis holds N zeros. 4:8 on a width that is not a multiple of 8 leaves the tail groups dense.',
        pick: (r) => {
          const s = r.sparsity;
          if (!s) return undefined;
          return { text: `${formatPercent(s.overTargets.ratio, 2, { unit: false })}${s.nmValid === undefined ? '' : s.nmValid ? ' ✓' : ' ✗'}` };
        },
        format: formatPercentCell,
        better: 'none',
        includeDense: false,
      }),
    ),
  );
  tables.push(
    ...split(
      methodTable(index, {
        id: 'prune-time',
        title: 'Pruning time (s): the whole pipeline run (load, calibration, layer-sequential pruning, writing)',
        caption: 'Lower is better; best per column in bold.',
        pick: (r) => r.manifest?.wallSeconds,
        format: (v) => (v >= 100 ? v.toFixed(0) : v.toFixed(2)),
        better: 'lower',
        includeDense: false,
      }),
    ),
  );
  return tables;
}
