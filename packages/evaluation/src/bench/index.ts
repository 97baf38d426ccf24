// The `./bench` subpath (workspace only: not in the published package): the timing harness `pnpm bench` runs and
// the synthetic stories15M-shaped weights it feeds through the model.
export { benchEvaluation } from './evaluation.js';
export type { EvaluationBenchRow, EvaluationBenchOptions } from './evaluation.js';
export { syntheticWeightSource, STORIES15M_HEADER } from './synthetic-weight-source.js';
