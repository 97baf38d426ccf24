// Pruning methods as plug-ins: a registry keyed by method name (docs/SPEC.md §2), and weight updates (`--update obs`).
export { PROJECTION_KINDS, STATISTIC_NAMES } from './types.js';
export type {
  ProjectionKind,
  ComparisonGroup,
  NmAxis,
  LinearStats,
  ScorePlan,
  ScoreOptions,
  ScoringMethod,
  PruningMethod,
  ScoringPlugin,
  StatisticName,
  OptionValue,
  MethodOption,
  MethodOptions,
  MatrixPruneInput,
  MatrixPruneResult,
  WeightUpdate,
  WeightUpdateInput,
} from './types.js';
export {
  scoringMethods,
  scoringMethodNames,
  getScoringMethod,
  registerScoringMethod,
  unregisterScoringMethod,
  pruningMethodNames,
  getPruningMethod,
  registerPruningMethod,
  unregisterPruningMethod,
  weightUpdates,
  weightUpdateNames,
  getWeightUpdate,
  registerWeightUpdate,
  unregisterWeightUpdate,
  neededStatistics,
  resolveMethodOptions,
  allMethodOptions,
} from './scoring-registry.js';
export type { OptionOwner } from './scoring-registry.js';
export { optionFlag, optionProblem, resolveOptions } from './method-options.js';
export { pruneMatrix } from './prune-matrix.js';
export { magnitudeMethod, absoluteWeights } from './magnitude-method.js';
export { wandaMethod, wandaScores } from './wanda-method.js';
export { dassMethod, dassGateUpScores, isGateOrUp } from './dass-method.js';
export { riaMethod, riaScores, RIA_DEFAULT_A } from './ria-method.js';
export { sparsegptMethod } from './sparsegpt-method.js';
export { obsUpdate } from './obs-update.js';
export { OBS_OPTIONS } from './obs-options.js';
export { DEFAULT_ALPHA } from './score-inputs.js';
