// The Node entry: the browser-safe modules plus mask files and the worker-thread LinalgPool.
export * from './browser.js';
export { MASK_FILE_FORMAT, encodeMaskSafetensors, writeMaskSafetensors, decodeMaskSafetensors, readMaskSafetensors } from './mask-export.js';
export type { MaskExportEntry, MaskExportOptions, ImportedMask } from './mask-export.js';
export { LinalgPool, withLinalgPool, activeLinalgPool, defaultLinalgThreads, sharedFloat64Array, sharedFloat32Array } from './linalg-pool.js';
