// The browser entry of @dass/calibration (`browser` export condition): sampling, text parsing and capture; no Node built-ins.
export { runLayerSequential, DeviceLayerStats } from './capture.js';
export type { LayerStats, CaptureProgress, LayerCallbackContext, LayerSequentialOptions } from './capture.js';
export { PythonRandom } from './python-random.js';
export {
  TEXT_SOURCE_FORMATS,
  textSourceFromBytes,
  resolveTextSourceFormat,
  joinWikitextRows,
  wikitextRows,
  WIKITEXT_CALIBRATION_JOIN,
  WIKITEXT_EVALUATION_JOIN,
  universalNewlines,
} from './sources.js';
export type { Gunzip, TextSource, TextSourceText, TextSourceDocuments, TextSourceFormat, ResolvedTextSourceFormat } from './sources.js';
export { TextSourceError } from './sources-error.js';
export type { TextSourceErrorReason } from './sources-error.js';
export { sampleCalibration } from './sampler.js';
export type { CalibrationSource, SampleCalibrationOptions, CalibrationWindow, CalibrationSamples } from './sampler.js';
