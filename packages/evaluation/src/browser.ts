// The browser entry of @dass/evaluation (`browser` export condition): perplexity, zero-shot scoring, sparsity inspection; no Node built-ins.
export { assertLanguageModel, assertTokenIds } from './language-model.js';
export type { LanguageModel } from './language-model.js';
export { withGreedyScoring } from './greedy-scoring-model.js';
export type { HiddenStateModel } from './greedy-scoring-model.js';
export { evaluatePerplexity, perplexityOfText } from './perplexity.js';
export type { PerplexityOptions, PerplexityResult, PerplexityProgress } from './perplexity.js';
export { encodePair } from './encode-pair.js';
export type { EncodedPair } from './encode-pair.js';
export { scoreContinuations } from './continuation-scores.js';
export type { ContinuationScore } from './continuation-scores.js';
export { mean, meanStderr } from './mean-stderr.js';
export { formatPercent } from './format-percent.js';
export { TaskFileError } from './task-file-error.js';
export { utf8Bytes, answerChoice } from './zero-shot-task.js';
export type { ZeroShotTask, ZeroShotDoc, ZeroShotChoice, ZeroShotMetrics } from './zero-shot-task.js';
export { piqaTask, arcEasyTask, arcChallengeTask, boolqTask, openbookqaTask } from './multiple-choice-tasks.js';
export { hellaswagTask, preprocessHellaswag, pythonCapitalize } from './hellaswag-task.js';
export { winograndeTask } from './winogrande-task.js';
export { lambadaTask } from './lambada-task.js';
export { rteTask } from './rte-task.js';
export { inspectSparsity, inspectMatrixSparsity, summarizeSparsity, parseLinearTensorName } from './sparsity-inspection.js';
export type {
  InspectedTensor,
  SparsityInspectionOptions,
  MatrixSparsity,
  ZeroCount,
  SparsityInspection,
} from './sparsity-inspection.js';
