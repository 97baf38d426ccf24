import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '@dass/model-loader';
import type { CellRecord } from './cell-record.js';
import { readCellRecord } from './cell-store.js';
import { cellHash, gridCells } from './grid-cells.js';
import type { GridSpec } from './grid-spec.js';
import { reportFigures } from './report-charts.js';
import { reportHtml } from './report-html.js';
import { resultsMarkdown } from './results-markdown.js';
import { ResultIndex, resultTables } from './results-tables.js';

/** `results.json`: the grid, every current cell record (manifest and metrics) in grid order, and what is missing. */
export interface ResultsFile {
  kind: 'dass-repro/results';
  version: 1;
  generatedAt: string;
  origin: string;
  grid: GridSpec;
  summary: { cells: number; finished: number; failed: number; pending: number };
  cells: CellRecord[];
  /** Cells with no record matching the current grid (never run, or recorded for different settings). */
  pending: string[];
}

export interface WrittenReports {
  resultsJson: string;
  resultsMd: string;
  reportHtml: string;
  results: ResultsFile;
}

/** The records of the grid's cells whose hash matches the current grid; the rest are pending. */
export async function currentRecords(outDir: string, grid: GridSpec): Promise<{ records: CellRecord[]; pending: string[] }> {
  const records: CellRecord[] = [];
  const pending: string[] = [];
  for (const cell of gridCells(grid)) {
    const r = await readCellRecord(outDir, cell.id);
    if (r && r.hash === cellHash(cell)) records.push(r);
    else pending.push(cell.id);
  }
  return { records, pending };
}

/** Rebuilds results.json, results.md and report.html from the cell records in `outDir` (each written atomically). */
export async function writeReports(outDir: string, grid: GridSpec, origin: string, now: Date = new Date()): Promise<WrittenReports> {
  await mkdir(outDir, { recursive: true });
  const { records, pending } = await currentRecords(outDir, grid);
  const generatedAt = now.toISOString();
  const failed = records.filter((r) => r.status === 'failed').length;
  const results: ResultsFile = {
    kind: 'dass-repro/results',
    version: 1,
    generatedAt,
    origin,
    grid,
    summary: { cells: records.length + pending.length, finished: records.length - failed, failed, pending: pending.length },
    cells: records,
    pending,
  };
  const index = new ResultIndex(grid, records);
  const tables = resultTables(index);
  const paths = { resultsJson: join(outDir, 'results.json'), resultsMd: join(outDir, 'results.md'), reportHtml: join(outDir, 'report.html') };
  await writeJsonAtomic(paths.resultsJson, results);
  await writeFileAtomic(
    paths.resultsMd,
    resultsMarkdown({ title: `DaSS reproduction: ${grid.name} grid`, description: grid.description, tables, records, pending }),
  );
  await writeFileAtomic(paths.reportHtml, reportHtml({ grid, origin, generatedAt, tables, sections: reportFigures(index), records, pending }));
  return { ...paths, results };
}
