// The browser entry of @dass/pipeline (`browser` export condition): the run on opened inputs (pruneSource), settings
// validation, calibration from text, in-memory llama2.c output, manifests; no Node built-ins.
export { pruneSource, validatePruneSettings, checkSourceForRun, runLabel, runLog, PruneAbortedError } from './prune-core.js';
export type { PruneHooks, PruneProgress, PruneSettings, PruneSourceOptions, RunEnvironment, RunLog, ValidatedPruneOptions } from './prune-core.js';
export { pruneLayer } from './prune-layer.js';
export type { PruneLayerOptions, MatrixReport } from './prune-layer.js';
export { memoryLlama2cOutput, llama2cLinearBytes, memoryHfOutput, hfOutputLayout, copyUnprunedTensors, isTargetTensor } from './checkpoint-sink.js';
export type { CheckpointOutput, MemoryCheckpointOutput, MemoryHfOutput, HfOutputShard, OutputFormat } from './checkpoint-sink.js';
export { calibrationFromText, idsDigest } from './calibration-batch.js';
export type { CalibrationInfo, CalibrationBatch } from './calibration-batch.js';
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
