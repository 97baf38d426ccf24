export { runPrune, validatePruneOptions, runLabel } from './run-prune.js';
export type { PruneOptions, PruneProgress, ValidatedPruneOptions } from './run-prune.js';
export { pruneLayer } from './prune-layer.js';
export type { PruneLayerOptions, MatrixReport } from './prune-layer.js';
export { openCheckpointOutput } from './checkpoint-output.js';
export type { CheckpointOutput, CheckpointOutputOptions, OutputFormat } from './checkpoint-output.js';
export { loadCalibration, isCalibArtifactPath } from './calibration-input.js';
export type { CalibrationRequest, CalibrationInfo, CalibrationBatch } from './calibration-input.js';
export { TARGET_SETS, targetLinears } from './targets.js';
export type { TargetSet } from './targets.js';
export { totals, SparsityTally } from './run-manifest.js';
export { LAYER_RATIO_STRATEGIES, OWL_DEFAULTS, outlierRatio, owlLayerRatios, owlLayerPatterns } from './layer-ratios.js';
export type { LayerRatioStrategy, LayerRatiosReport } from './layer-ratios.js';
export type { RunManifest, LayerReport, SparsityTotals } from './run-manifest.js';
export { UserInputError } from './user-error.js';
export {
  RunManifestSchema,
  MatrixReportSchema,
  CalibrationInfoSchema,
  LayerRatiosReportSchema,
  LayerReportSchema,
  SparsityTotalsSchema,
  measuredNumber,
} from './run-manifest-schema.js';
export { parseRunManifest } from './run-manifest.js';
export { describeIssue, describeValue, firstProblem, keyPath } from './schema-problems.js';
export { peakRssBytes } from './peak-rss.js';
