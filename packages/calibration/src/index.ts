export {};
export { runLayerSequential, DeviceLayerStats } from './capture.js';
export type { LayerStats, CaptureProgress, LayerCallbackContext, LayerSequentialOptions } from './capture.js';
export { PythonRandom } from './python-random.js';
export {
  TEXT_SOURCE_FORMATS,
  loadTextSource,
  resolveTextSourceFormat,
  joinWikitextRows,
  wikitextRows,
  WIKITEXT_CALIBRATION_JOIN,
  WIKITEXT_EVALUATION_JOIN,
  universalNewlines,
} from './sources.js';
export type { TextSource, TextSourceText, TextSourceDocuments, TextSourceFormat, ResolvedTextSourceFormat } from './sources.js';
export { TextSourceError } from './sources-error.js';
export type { TextSourceErrorReason } from './sources-error.js';
export { sampleCalibration } from './sampler.js';
export type { CalibrationSource, SampleCalibrationOptions, CalibrationWindow, CalibrationSamples } from './sampler.js';
export { CALIB_TENSOR_NAME, CALIB_FORMAT, CALIB_FORMAT_KEY, writeCalibArtifact, readCalibArtifact } from './calib-artifact.js';
export type {
  CalibArtifactMetadata,
  CalibArtifactFileMetadata,
  CalibMetadataStyle,
  CalibArtifactIds,
  CalibArtifact,
  ReadCalibArtifactOptions,
  WriteCalibArtifactOptions,
} from './calib-artifact.js';
