// The Node entry: the browser-safe modules plus file reading and calib.safetensors artifacts.
export * from './browser.js';
export { loadTextSource } from './sources-file.js';
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
