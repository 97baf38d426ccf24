export { main } from './cli.js';
export type { CliIo } from './cli.js';
export { loadGrid, assetsDir, BUILTIN_GRIDS, PAPER_GRID, TINY_GRID } from './builtin-grids.js';
export type { LoadedGrid } from './builtin-grids.js';
export { validateGrid } from './grid-spec.js';
export type { GridSpec, GridModel, GridPattern, GridCalibration, GridPerplexitySet, GridZeroShot, GridAnalysis, ValidateGridOptions } from './grid-spec.js';
export { GridError } from './grid-error.js';
export {
  gridFileSchema,
  GridSpecSchema,
  GridModelSchema,
  GridPatternSchema,
  GridCalibrationSchema,
  GridPerplexitySetSchema,
  GridZeroShotSchema,
  GridAnalysisSchema,
  GridMethodSchema,
} from './grid-schema.js';
export type { GridFile, GridMethod } from './grid-schema.js';
export { CellRecordSchema, CellSpecSchema } from './cell-record.js';
export { jsonSchemas } from './json-schemas.js';
export { gridCells, cellHash, patternSlug, canonicalJson } from './grid-cells.js';
export type { CellSpec, CellKind } from './grid-cells.js';
export type { CellRecord, SparsityReadBack, LayerReadBack, MatrixReadBack, ZeroShotEntry, EvaluationFailure } from './cell-record.js';
export { readCellRecord, writeCellRecord, cellRecordPath, cellsDir } from './cell-store.js';
export { runCell, failedCellRecord } from './run-cell.js';
export type { RunCellOptions } from './run-cell.js';
export { runGrid, missingGridPaths, planGridRun } from './run-grid.js';
export type { GridRunPlan } from './run-grid.js';
export { runGridOnQueue } from './queue-coordinator.js';
export type { QueueGridOptions, QueueGridSummary } from './queue-coordinator.js';
export { startQueueWorker } from './queue-worker.js';
export type { QueueWorkerOptions, RunningQueueWorker } from './queue-worker.js';
export { parseQueueUrl, redactQueueUrl, connectQueue } from './queue-url.js';
export type { QueueTarget } from './queue-url.js';
export { QUEUE_NAME, toPortableSpec, fromPortableSpec, cellJobId } from './queue-jobs.js';
export type { CellJobData } from './queue-jobs.js';
export { slurmScript, kubernetesJob } from './emit-launchers.js';
export type { LauncherOptions } from './emit-launchers.js';
export { assertGridOutDir, gridInputs, GRID_RECORD_FILE } from './out-dir-guard.js';
export { removeStaleTemporaries } from './stale-temporaries.js';
export type { RunGridOptions, GridRunSummary } from './run-grid.js';
export { runCellsInWorkers, defaultWorkerEntry } from './cell-worker-pool.js';
export { writeReports, currentRecords } from './write-reports.js';
export type { ResultsFile, WrittenReports } from './write-reports.js';
export { outlierRatios, histogram, summarizeNeuronNorms, analyzeLayer, ANALYZED_LINEARS } from './outlier-analysis.js';
export type { ModelOutlierAnalysis, LayerOutlierAnalysis, NeuronNormSummary, Histogram } from './outlier-analysis.js';
export { PUBLISHED_RESULTS, publishedFor } from './published-results.js';
export type { PublishedResults } from './published-results.js';
export { resultTables, methodTable, splitByModels, ResultIndex, gridColumns, patternLabel, methodLabel } from './results-tables.js';
export type { ResultTable, TableRow, TableCell } from './results-tables.js';
export { tableToMarkdown, resultsMarkdown } from './results-markdown.js';
export { reportHtml } from './report-html.js';
export { reportFigures } from './report-charts.js';
export { barChart, lineChart, niceTicks, logTicks } from './svg-charts.js';
