export * as tf from '@tensorflow/tfjs-core';
export { BACKEND_NAMES, selectBackend, currentBackend, ensureBackend } from './select-backend.js';
export type { BackendName, BackendRequest, BackendChoice } from './select-backend.js';
