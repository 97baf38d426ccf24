/** The linears of a LLaMA-family decoder layer that can be pruned (HF module names). */
export const PROJECTION_KINDS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;
export type ProjectionKind = (typeof PROJECTION_KINDS)[number];

/** Where one unstructured threshold applies (SPEC §2): each output row, each input column, or the whole matrix. */
export type ComparisonGroup = 'row' | 'column' | 'matrix';

/** N:M groups run along `in` (M consecutive input columns of a row) or `out` (M consecutive output rows of a column). */
export type NmAxis = 'in' | 'out';

/** Calibration statistics of one target linear (SPEC §2). Sums, not means: a constant factor changes no ranking. */
export interface LinearStats {
  /** s_j = Σ_tokens X_tj² over this linear's input columns (length = in). */
  inputSumSq: Float64Array;
  /** s^down_i = ‖h_i‖² of the layer's down_proj input (length = d_int); DaSS gate/up score with it. */
  downInputSumSq?: Float64Array;
  /** Tokens accumulated into the sums. */
  tokens: number;
}

/** How a method compares scores for one projection. */
export interface ScorePlan {
  /** Unstructured comparison group. */
  group: ComparisonGroup;
  /** Axis of N:M groups. */
  nmAxis: NmAxis;
  /** The score formula, for reports (e.g. `|W|·sqrt(s_j)`). */
  scoreKind: string;
}

export interface ScoreOptions {
  /** DaSS exponent α (score = |W_ij|·‖h_i‖^α); default 0.5. Must be finite and >= 0. */
  alpha?: number;
}

/** A pruning metric: how to score a weight matrix `[out, in]` and how to compare the scores. */
export interface ScoringMethod {
  name: string;
  /** Needs calibration activations (`LinearStats`). */
  needsActivations: boolean;
  /** Needs the Gram matrix XᵀX of each linear's inputs (SparseGPT). */
  needsGram: boolean;
  /** Changes the kept weights, not only masks them (SparseGPT's OBS update). */
  updatesWeights: boolean;
  plan(kind: ProjectionKind): ScorePlan;
  /** Scores, row-major `[out, in]` like the weight; lower = pruned first. */
  score(
    weight: Float32Array,
    shape: readonly [out: number, inputs: number],
    kind: ProjectionKind,
    stats: LinearStats | undefined,
    options?: ScoreOptions,
  ): Float32Array;
}
