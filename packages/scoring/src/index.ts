// Pruning scores as a registry keyed by method name (SPEC §2).
export { PROJECTION_KINDS } from './types.js';
export type {
  ProjectionKind,
  ComparisonGroup,
  NmAxis,
  LinearStats,
  ScorePlan,
  ScoreOptions,
  ScoringMethod,
} from './types.js';
export { scoringMethods, scoringMethodNames, getScoringMethod, registerScoringMethod } from './scoring-registry.js';
export { magnitudeMethod, absoluteWeights } from './magnitude-method.js';
export { wandaMethod, wandaScores } from './wanda-method.js';
export { dassMethod, dassGateUpScores, isGateOrUp } from './dass-method.js';
export { sparsegptMethod } from './sparsegpt-method.js';
export { DEFAULT_ALPHA } from './score-inputs.js';
