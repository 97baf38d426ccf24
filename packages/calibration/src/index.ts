export {};
export { runLayerSequential } from './capture.js';
export type { LayerStats, CaptureProgress, LayerCallbackContext, LayerSequentialOptions } from './capture.js';
