// The Node entry: the browser-safe modules (browser.ts) plus runs from paths, file outputs and atomic writers.
export * from './browser.js';
export { runPrune, validatePruneOptions } from './run-prune.js';
export type { PruneOptions } from './run-prune.js';
export { openCheckpointOutput } from './checkpoint-output.js';
export type { CheckpointOutputOptions } from './checkpoint-output.js';
export { loadCalibration, isCalibArtifactPath } from './calibration-input.js';
export { calibrationEncodeCacheStats, clearCalibrationEncodeCache, ENCODE_CACHE_ENTRIES } from './calibration-batch.js';
export type { CalibrationRequest } from './calibration-input.js';
export { peakRssBytes } from './peak-rss.js';
