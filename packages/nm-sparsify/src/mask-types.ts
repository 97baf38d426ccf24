/** Shared shapes and unions for mask selection. Kept structurally identical to @dass/scoring's plan types
 * (this package does not depend on scoring), so a scoring plan can be passed straight to `selectMask`. */

/** `[rows, cols]` of a row-major matrix; for a linear layer `[out, in]`. */
export type MatrixShape = readonly [rows: number, cols: number];

/** Where one unstructured threshold applies: each row, each column, or the whole matrix. */
export type ComparisonGroup = 'row' | 'column' | 'matrix';

/** N:M groups run along `in` (M consecutive columns of one row) or `out` (M consecutive rows of one column). */
export type NmAxis = 'in' | 'out';

/** What to do with a tail group shorter than M: refuse, or leave it dense and report it. */
export type PartialGroups = 'error' | 'dense';

/** Scores are compared exactly as stored; float64 input keeps its precision. */
export type ScoreArray = Float32Array | Float64Array;

/** The part of a scoring plan mask selection needs. */
export interface MaskPlan {
  group: ComparisonGroup;
  nmAxis: NmAxis;
}

/** A selected mask: 1 = pruned, 0 = kept, row-major like the scores. */
export interface MaskSelection {
  mask: Uint8Array;
  /** Weights left dense because they sit in an incomplete tail group (`partialGroups: 'dense'`); 0 otherwise. */
  denseTailWeights: number;
}
