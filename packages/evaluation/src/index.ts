// The Node entry: the browser-safe modules plus task files, text files and benchmarks.
export * from './browser.js';
export { evaluateZeroShot, scoreZeroShotDoc, scoreZeroShotDocs } from './zero-shot.js';
export type { ZeroShotOptions, ZeroShotResult, ZeroShotProgress } from './zero-shot.js';
export { zeroShotTasks, defaultTasksDir, getZeroShotTask, parseTaskList, loadTaskDocs } from './zero-shot-tasks.js';
export { loadEvalText } from './eval-text.js';
export type { EvalText } from './eval-text.js';
