import { describe, expect, it } from 'vitest';
import type { CellRecord } from './cell-record.js';
import { cellHash, gridCells } from './grid-cells.js';
import type { CellSpec } from './grid-cells.js';
import { validateGrid } from './grid-spec.js';
import { tableToMarkdown } from './results-markdown.js';
import { ResultIndex, patternLabel, resultTables, splitByModels } from './results-tables.js';

const grid = validateGrid(
  {
    name: 'g',
    models: [
      { name: 'llama-2-7b', path: 'models/Llama-2-7b-hf' },
      { name: 'other', path: 'o' },
    ],
    methods: ['magnitude', 'wanda', 'dass'],
    patterns: ['0.5', '2:4'],
    calibration: { source: 'c4.json.gz' },
    evaluation: { perplexity: [{ name: 'wikitext2', path: 'wiki.test.raw', seqlen: 2048 }] },
    analysis: { enabled: false },
  },
  { file: 'g', root: '/r' },
);

function record(cell: CellSpec, ppl: number | 'failed'): CellRecord {
  const base = {
    kind: 'dass-repro/cell' as const,
    version: 1 as const,
    id: cell.id,
    hash: cellHash(cell),
    spec: cell,
    startedAt: '',
    finishedAt: '',
    seconds: 1,
    warnings: [],
  };
  if (ppl === 'failed') return { ...base, status: 'failed', error: { name: 'Error', message: 'boom | here' } };
  return { ...base, status: 'ok', perplexity: { wikitext2: { ppl } as never } };
}

// llama-2-7b: dense 5.5; 50%: magnitude 17, wanda 7, dass 7 (a tie); 2:4: magnitude failed, wanda 12, dass not run.
const values: Record<string, number | 'failed'> = {
  'llama-2-7b__dense': 5.5,
  'llama-2-7b__magnitude__50pct': 17,
  'llama-2-7b__wanda__50pct': 7,
  'llama-2-7b__dass__50pct': 7,
  'llama-2-7b__magnitude__2of4': 'failed',
  'llama-2-7b__wanda__2of4': 12,
};
const records = gridCells(grid)
  .filter((c) => c.id in values)
  .map((c) => record(c, values[c.id]!));
const tables = resultTables(new ResultIndex(grid, records));

describe('resultTables', () => {
  it('lays out perplexity like the paper: dense on top, methods as rows, model × pattern as columns, best bold', () => {
    const t = tables.find((x) => x.id === 'ppl-wikitext2')!;
    expect(t.header).toEqual(['llama-2-7b · 50%', 'llama-2-7b · 2:4', 'other · 50%', 'other · 2:4']);
    expect(t.rows.map((r) => r.label)).toEqual(['Dense', 'Magnitude', 'Wanda', 'DaSS']);
    expect(t.rows[0]!.dense).toBe(true);
    const text = t.rows.map((r) => r.cells.map((c) => (c.bold ? `*${c.text}*` : c.text)));
    expect(text).toEqual([
      ['5.50', '5.50', '–', '–'],
      ['17.00', 'failed', '–', '–'],
      ['*7.00*', '12.00', '–', '–'],
      ['*7.00*', '–', '–', '–'],
    ]);
    expect(t.rows[1]!.cells[1]!.note).toBe('boom | here');
  });

  it('sets ours beside the published numbers for LLaMA-2-7B, with the source', () => {
    const t = tables.find((x) => x.id === 'published-llama-2-7b')!;
    expect(t.caption).toContain('Wanda README (locuslab/wanda)');
    expect(t.caption).toContain('context 4096');
    expect(t.header).toEqual(['50%', '4:8', '2:4']);
    const row = (label: string) => t.rows.find((r) => r.label === label)!.cells.map((c) => c.text);
    expect(row('Dense')).toEqual(['5.50 / 5.12', '5.50 / 5.12', '5.50 / 5.12']);
    expect(row('Wanda')).toEqual(['7.00 / 6.42', '– / 7.97', '12.00 / 11.02']);
    expect(row('SparseGPT')).toEqual(['– / 6.51', '– / 8.12', '– / 10.17']);
    expect(row('DaSS')).toEqual(['7.00 / –', '– / –', '– / –']);
    expect(tables.some((x) => x.id === 'published-other')).toBe(false);
  });

  it('renders markdown with escaped pipes, bold and an italic dense row', () => {
    const md = tableToMarkdown(tables.find((x) => x.id === 'ppl-wikitext2')!);
    const lines = md.split('\n');
    expect(lines[0]).toBe('### wikitext2 perplexity (context 2048)');
    expect(lines).toContain('| Method | llama-2-7b · 50% | llama-2-7b · 2:4 | other · 50% | other · 2:4 |');
    expect(lines).toContain('|---|---:|---:|---:|---:|');
    expect(lines).toContain('| *Dense* | 5.50 | 5.50 | – | – |');
    expect(lines).toContain('| Wanda | **7.00** | 12.00 | – | – |');
  });

  it('labels patterns as the paper does', () => {
    expect(['0.5', '0.625', '2:4'].map(patternLabel)).toEqual(['50%', '62.5%', '2:4']);
  });
});

describe('splitByModels', () => {
  it('cuts a wide table into whole models of at most 9 columns', () => {
    const models = ['a', 'b', 'c', 'd'];
    const header = models.flatMap((m) => ['50%', '2:4', '4:8'].map((p) => `${m} · ${p}`));
    const table = { id: 't', title: 'T', corner: 'Method', header, rows: [{ label: 'Wanda', cells: header.map((h) => ({ text: h })) }] };
    const parts = splitByModels(table, models);
    expect(parts.map((p) => [p.id, p.title, p.header.length])).toEqual([
      ['t', 'T: a, b, c', 9],
      ['t-2', 'T: d', 3],
    ]);
    expect(parts[1]!.rows[0]!.cells.map((c) => c.text)).toEqual(['d · 50%', 'd · 2:4', 'd · 4:8']);
    expect(splitByModels({ ...table, header: header.slice(0, 6), rows: [] }, ['a', 'b'])).toHaveLength(1);
  });
});
