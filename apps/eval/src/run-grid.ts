import { availableParallelism } from 'node:os';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeJsonAtomic } from '@dass/model-loader';
import { UserInputError } from '@dass/pipeline';
import type { CellRecord } from './cell-record.js';
import { isFailure } from './cell-record.js';
import { readCellRecord, writeCellRecord } from './cell-store.js';
import { runCellsInWorkers } from './cell-worker-pool.js';
import { cellHash, gridCells } from './grid-cells.js';
import type { CellSpec } from './grid-cells.js';
import type { GridSpec } from './grid-spec.js';
import { runCell } from './run-cell.js';
import { assertGridOutDir } from './out-dir-guard.js';
import { removeStaleTemporaries } from './stale-temporaries.js';
import { writeReports } from './write-reports.js';
import type { WrittenReports } from './write-reports.js';

export interface RunGridOptions {
  /**
   * The results folder (created). Never a grid input, inside one or holding one; an existing folder must be empty
   * or a previous dass-repro output (it holds grid.json). Otherwise an OutputPathError before any work.
   */
  outDir: string;
  /** Where the grid came from, for the reports (a grid file's absolute path is protected like the other inputs). */
  origin: string;
  /** Cells run at once; above 1 they run in forked worker processes. Default 1 (in this process). */
  jobs?: number;
  /**
   * Worker threads per cell for the model passes. Default: the cores divided between the jobs
   * (⌊availableParallelism / jobs⌋, at least 1); jobs × threads may not exceed the cores.
   */
  threads?: number;
  keepCheckpoints?: boolean;
  /** Run only cells whose id contains one of these strings (the reports still cover the whole grid). */
  only?: readonly string[];
  /** The worker script for jobs > 1 (default: the built bin). */
  workerEntry?: string;
  /** One line per event (cell skipped, started, finished). */
  log?: (line: string) => void;
  /** Also log each cell's progress steps. */
  verbose?: boolean;
}

export interface GridRunSummary {
  cells: number;
  /** Finished earlier with the same settings: not run again. */
  skipped: string[];
  ran: string[];
  failed: string[];
  reports: WrittenReports;
}

/** One line on a finished cell: `ok (3.2 s), wikitext2 ppl 5.68, …` or `FAILED (…): <error>`. */
export function outcome(record: CellRecord): string {
  if (record.status === 'failed') return `FAILED (${record.seconds.toFixed(1)} s): ${record.error?.message ?? 'unknown error'}`;
  const bits = [`ok (${record.seconds.toFixed(1)} s)`];
  for (const [name, p] of Object.entries(record.perplexity ?? {})) bits.push(isFailure(p) ? `${name} n/a` : `${name} ppl ${p.ppl.toFixed(2)}`);
  if (record.zeroShotMeanAcc !== undefined) bits.push(`zero-shot ${(100 * record.zeroShotMeanAcc).toFixed(1)}%`);
  if (record.sparsity) bits.push(`sparsity ${(100 * record.sparsity.overTargets.ratio).toFixed(2)}%`);
  if (record.analysis) bits.push(`${record.analysis.layers.length} layers analysed`);
  if (record.warnings.length > 0) bits.push(`${record.warnings.length} warning(s)`);
  return bits.join(', ');
}

/** Paths the grid names that do not exist (their cells will fail; the rest of the grid still runs). */
export function missingGridPaths(grid: GridSpec): string[] {
  const paths = [
    ...grid.models.flatMap((m) => [m.path, ...(m.tokenizer ? [m.tokenizer] : [])]),
    grid.calibration.source,
    ...grid.perplexity.map((p) => p.path),
    ...(grid.zeroShot?.tasksDir ? [grid.zeroShot.tasksDir] : []),
  ];
  return [...new Set(paths)].filter((p) => !existsSync(p));
}

export interface GridRunPlan {
  outDir: string;
  /** The cells `--only` selects (all by default), in grid order. */
  selected: CellSpec[];
  /** Ids finished earlier with the same settings. */
  skipped: string[];
  /** The cells to run (no record, a failed one, or one for other settings). */
  todo: CellSpec[];
}

/**
 * What every way of running a grid does first: creates the output folder, writes grid.json, removes temporaries an
 * interrupted run left, applies `--only`, warns of missing paths, and splits the cells into finished and to do.
 */
export async function planGridRun(grid: GridSpec, options: Pick<RunGridOptions, 'outDir' | 'origin' | 'only' | 'log'>): Promise<GridRunPlan> {
  if (typeof options.outDir !== 'string' || options.outDir === '') throw new UserInputError(`--out: expected a folder, got ${JSON.stringify(options.outDir)}`);
  const outDir = resolve(options.outDir);
  await assertGridOutDir('outDir', outDir, grid, options.origin);
  const log = options.log ?? (() => {});
  await mkdir(outDir, { recursive: true });
  await writeJsonAtomic(join(outDir, 'grid.json'), { origin: options.origin, grid });
  for (const dir of [join(outDir, 'checkpoints'), join(outDir, 'cells'), outDir]) {
    for (const name of await removeStaleTemporaries(dir)) log(`removed ${join(dir, name)}, left by an interrupted run`);
  }

  const all = gridCells(grid);
  const only = options.only?.filter((s) => s !== '') ?? [];
  const selected = only.length > 0 ? all.filter((c) => only.some((s) => c.id.includes(s))) : all;
  if (only.length > 0 && selected.length === 0) {
    throw new UserInputError(
      `--only ${only.join(',')}: matches no cell; cell ids look like ${all
        .slice(0, 3)
        .map((c) => c.id)
        .join(', ')}`,
    );
  }
  for (const path of missingGridPaths(grid)) log(`warning: ${path} does not exist; the cells that need it will fail`);
  const skipped: string[] = [];
  const todo: CellSpec[] = [];
  for (const cell of selected) {
    const existing = await readCellRecord(outDir, cell.id);
    if (existing?.status === 'ok' && existing.hash === cellHash(cell)) {
      skipped.push(cell.id);
      log(`skip ${cell.id} (finished ${existing.finishedAt})`);
    } else {
      if (existing?.status === 'ok') log(`rerun ${cell.id}: the grid's settings for it changed`);
      todo.push(cell);
    }
  }
  return { outDir, selected, skipped, todo };
}

/**
 * Runs every cell of a grid that has no finished record for its current settings, writing one record per cell
 * (atomically) as it ends, then rebuilds results.json, results.md and report.html. A failing cell is recorded with
 * its error and the grid goes on; failed cells are tried again on the next run.
 */
export async function runGrid(grid: GridSpec, options: RunGridOptions): Promise<GridRunSummary> {
  const jobs = options.jobs ?? 1;
  if (!Number.isInteger(jobs) || jobs < 1) throw new UserInputError(`--jobs: expected an integer >= 1, got ${JSON.stringify(options.jobs)}`);
  const cores = availableParallelism();
  const threads = options.threads ?? Math.max(1, Math.floor(cores / jobs));
  if (!Number.isInteger(threads) || threads < 1) throw new UserInputError(`--threads: expected an integer >= 1, got ${JSON.stringify(options.threads)}`);
  if (threads > 1 && jobs * threads > cores) {
    throw new UserInputError(`--jobs ${jobs} × --threads ${threads} = ${jobs * threads} exceeds the ${cores} cores of this machine; lower one of them`);
  }
  const { outDir, selected, skipped, todo } = await planGridRun(grid, options);
  const log = options.log ?? (() => {});
  log(
    `${selected.length} cells: ${skipped.length} finished earlier, ${todo.length} to run${jobs > 1 && todo.length > 1 ? ` in ${Math.min(jobs, todo.length)} worker processes` : ''}`,
  );

  const ran: string[] = [];
  const failed: string[] = [];
  let done = 0;
  const onRecord = async (record: CellRecord) => {
    await writeCellRecord(outDir, record);
    done++;
    ran.push(record.id);
    if (record.status === 'failed') failed.push(record.id);
    log(`[${done}/${todo.length}] ${record.id}: ${outcome(record)}`);
  };
  const onProgress = options.verbose ? (m: string) => log(`  ${m}`) : undefined;
  if (jobs > 1 && todo.length > 1) {
    await runCellsInWorkers(todo, {
      size: jobs,
      outDir,
      keepCheckpoint: options.keepCheckpoints,
      threads,
      entry: options.workerEntry,
      onProgress,
      onStart: (cell) => log(`start ${cell.id}`),
      onRecord,
    });
  } else {
    for (const cell of todo) {
      log(`start ${cell.id}`);
      await onRecord(await runCell(cell, { outDir, keepCheckpoint: options.keepCheckpoints, onProgress, threads }));
    }
  }
  const reports = await writeReports(outDir, grid, options.origin);
  log(`wrote ${reports.resultsJson}, ${reports.resultsMd}, ${reports.reportHtml}`);
  return { cells: selected.length, skipped, ran, failed, reports };
}
