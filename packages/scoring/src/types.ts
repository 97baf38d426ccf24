import type { PartialGroups, SparsityPattern } from '@dass/nm-sparsify';

/** The linears of a LLaMA-family decoder layer that can be pruned (HF module names). */
export const PROJECTION_KINDS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;
export type ProjectionKind = (typeof PROJECTION_KINDS)[number];

/** Where one unstructured threshold applies (docs/SPEC.md §2): each output row, each input column, or the whole matrix. */
export type ComparisonGroup = 'row' | 'column' | 'matrix';

/** N:M groups run along `in` (M consecutive input columns of a row) or `out` (M consecutive output rows of a column). */
export type NmAxis = 'in' | 'out';

/**
 * Calibration statistics a method can ask for (`PruningMethod.needs`):
 * - `inputSumSq`: s_j = Σ_tokens X_tj² per input column of the linear;
 * - `downInputSumSq`: s^down_i = ‖h_i‖² of the layer's down_proj input (captured even when down_proj is no target);
 * - `gram`: XᵀX of the linear's inputs (`in × in`, float64), as SparseGPT's Hessian.
 */
export const STATISTIC_NAMES = ['inputSumSq', 'downInputSumSq', 'gram'] as const;
export type StatisticName = (typeof STATISTIC_NAMES)[number];

/** Calibration statistics of one target linear (docs/SPEC.md §2). Sums, not means: a constant factor changes no ranking. */
export interface LinearStats {
  /** s_j = Σ_tokens X_tj² over this linear's input columns (length = in). */
  inputSumSq: Float64Array | Float32Array;
  /** s^down_i = ‖h_i‖² of the layer's down_proj input (length = d_int); DaSS gate/up score with it. */
  downInputSumSq?: Float64Array | Float32Array;
  /** XᵀX over the same tokens, `in × in` row-major (present when a method or update needs `gram`). */
  gram?: Float64Array | Float32Array;
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

/** A method option's value: options are plain JSON (they go into cell hashes and manifests). */
export type OptionValue = number | string | boolean;

/** Resolved options of one method (every declared option present, defaults filled in). */
export type MethodOptions = Readonly<Record<string, OptionValue>>;

/**
 * One option a method (or weight update) declares. The CLI turns it into `--<kebab-name>`, a grid into a key of
 * the method entry (a list there is a sweep axis), the run manifest records its resolved value.
 */
export interface MethodOption {
  /** camelCase identifier (`alpha`, `percdamp`); the CLI flag is its kebab-case form. */
  name: string;
  type: 'number' | 'integer' | 'string' | 'boolean';
  default: OptionValue;
  /** One line for `--help` and the README. */
  description: string;
  /** For strings: the accepted values. */
  choices?: readonly string[];
  /** Extra check on a well-typed value: returns what was expected (e.g. `a finite number >= 0`) or undefined. */
  validate?: (value: OptionValue) => string | undefined;
}

/** Back-compat name of the resolved options handed to `score()`. */
export type ScoreOptions = Readonly<Record<string, OptionValue | undefined>>;

/** Everything a method's per-matrix step sees. */
export interface MatrixPruneInput {
  /** Dense weight `[out, in]` row-major; never modified. */
  weight: Float32Array;
  shape: readonly [out: number, inputs: number];
  kind: ProjectionKind;
  /** The statistics the method (and the update) declared in `needs`. */
  stats: LinearStats | undefined;
  /** The sparsity this matrix gets (a layer-ratio strategy may change it per layer). */
  pattern: SparsityPattern;
  partialGroups: PartialGroups;
  /** Resolved options (`resolveMethodOptions`). */
  options: MethodOptions;
  /** Names the matrix in errors, e.g. `model.layers.0.mlp.up_proj`. */
  name: string;
}

/** What one matrix's step produced. */
export interface MatrixPruneResult {
  /** Pruned weight; pruned entries exactly +0.0. */
  weight: Float32Array;
  /** 1 = pruned, row-major like the weight. */
  mask: Uint8Array;
  /** Weights left dense in incomplete N:M tail groups (`partialGroups: 'dense'`). */
  denseTailWeights: number;
  /** Method- or update-specific numbers for the manifest (e.g. `{obsError, dampUsed, retries, deadColumns}`). */
  details?: Record<string, number>;
}

/**
 * A pruning method: one registry entry (`registerPruningMethod`). It declares its name and label, the statistics
 * it needs, its options, where its masks are compared (`plan`), and its per-matrix step: either `score()` (scores
 * → mask through `@dass/nm-sparsify`'s pattern code; such a method can take a weight update such as `obs`) or its
 * own `prune()` (which may update the kept weights, as SparseGPT). Exactly one of the two is given.
 */
export interface PruningMethod {
  /** Registry key and `--method` value: letters, digits, `_`, `-`. */
  name: string;
  /** Shown in tables and reports (`DaSS`, `SparseGPT`). */
  label: string;
  /** One line for `--help`. */
  description: string;
  /** Calibration statistics the step reads (an empty list: magnitude). */
  needs: readonly StatisticName[];
  /** Options with their defaults and validation (an empty list when none). */
  options: readonly MethodOption[];
  plan(kind: ProjectionKind): ScorePlan;
  /**
   * Scores, row-major `[out, in]` like the weight; lower = pruned first. A fresh array the caller owns:
   * `pruneMatrix` reuses a float32 one as the pruned weight's storage once the mask is chosen.
   */
  score?(
    weight: Float32Array,
    shape: readonly [out: number, inputs: number],
    kind: ProjectionKind,
    stats: LinearStats | undefined,
    options?: ScoreOptions,
  ): Float32Array;
  /** The whole per-matrix step, for methods whose mask is not a function of static scores. */
  prune?(input: MatrixPruneInput): MatrixPruneResult;
}

/** A method that chooses its masks from static scores (`score()` present). */
export type ScoringPlugin = PruningMethod & { score: NonNullable<PruningMethod['score']> };

/** Back-compat name of `PruningMethod`. */
export type ScoringMethod = PruningMethod;

/** What a weight update receives: the method's fixed mask and the same statistics. */
export interface WeightUpdateInput extends MatrixPruneInput {
  /** The method's mask (1 = pruned), kept fixed. */
  mask: Uint8Array;
}

/**
 * A weight update applied after a scoring method chose its mask (`--update <name>`): it keeps the mask and
 * changes the kept weights. One registry entry, like a method.
 */
export interface WeightUpdate {
  name: string;
  /** Appended to the method's label: `DaSS + OBS`. */
  label: string;
  description: string;
  needs: readonly StatisticName[];
  options: readonly MethodOption[];
  apply(input: WeightUpdateInput): { weight: Float32Array; details?: Record<string, number> };
}
