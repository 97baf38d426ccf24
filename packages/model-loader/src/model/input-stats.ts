import { tf, wasmHeapView } from '@dass/tensor-backend';
import type { LinearName } from '../types.js';

/** Which linears' input statistics a pass gathers. */
export interface InputStatsRequest {
  /** s_j = Σ_tokens X_tj² of these linears' input columns. */
  sumSq: readonly LinearName[];
  /** XᵀX of these linears' inputs (a subset of `sumSq`). */
  gram: readonly LinearName[];
}

/** Statistics as plain arrays (what a worker thread sends back; buffers are transferable). */
export interface InputStatsData {
  sumSq: [LinearName, Float64Array][];
  gram: [LinearName, Float64Array][];
  tokens: number;
}

/**
 * Accumulates, over every pass of a layer's forward, each requested linear's input sum of squares (float64) and,
 * on request, XᵀX (a float32 matmul per pass, summed in float64) — the statistics of the Wanda/DaSS scores and of
 * SparseGPT's Hessian H = 2XᵀX. Both are sums over tokens, so partial accumulators over disjoint samples (worker
 * threads) merge by addition (`add`); only the float summation order depends on how the samples were split.
 */
export class InputStatsAccumulator {
  readonly sumSq = new Map<LinearName, Float64Array>();
  readonly gram = new Map<LinearName, Float64Array>();
  tokens = 0;

  /** `widths`: each linear's input width (columns of its [out, in] weight). */
  constructor(
    readonly request: InputStatsRequest,
    widths: (linear: LinearName) => number,
  ) {
    for (const l of request.sumSq) this.sumSq.set(l, new Float64Array(widths(l)));
    for (const l of request.gram) {
      if (!this.sumSq.has(l)) throw new RangeError(`stats request: gram for ${l} needs its sumSq too`);
      const n = widths(l);
      this.gram.set(l, new Float64Array(n * n));
    }
  }

  /**
   * The layer-forward capture hook: `input` [tokens, in] is the input shared by `linears` (q/k/v, gate/up share
   * theirs), reduced once for all of them. Runs inside the forward's tfjs scope.
   */
  readonly capture = (linears: readonly LinearName[], input: tf.Tensor2D): void => {
    const wanted = linears.filter((l) => this.sumSq.has(l));
    if (wanted.length === 0) return;
    const needGram = wanted.filter((l) => this.gram.has(l));
    const gram = needGram.length > 0 ? tf.tidy(() => tf.matMul(tf.transpose(input), input)) : undefined;
    // Sums of squares on the host in float64: faster than tfjs's column reduction (a transpose on wasm) and exact.
    // On wasm the values are read in place in the heap (no copy; no tfjs op runs while the view is used).
    const x = wasmHeapView(input) ?? (input.dataSync() as Float32Array);
    const cols = input.shape[1];
    const sumSqValues = new Float64Array(cols);
    for (let r = 0; r < x.length; r += cols) {
      for (let j = 0; j < cols; j++) {
        const value = x[r + j]!;
        sumSqValues[j] += value * value;
      }
    }
    for (const l of wanted) {
      const acc = this.sumSq.get(l)!;
      for (let i = 0; i < acc.length; i++) acc[i] += sumSqValues[i]!;
    }
    if (gram) {
      const gramValues = wasmHeapView(gram) ?? gram.dataSync();
      for (const l of needGram) {
        const acc = this.gram.get(l)!;
        for (let i = 0; i < acc.length; i++) acc[i] += gramValues[i]!;
      }
      gram.dispose();
    }
  };

  /** Adds another accumulator's (or a worker's) sums into this one. */
  add(other: InputStatsData): void {
    for (const [l, values] of other.sumSq) addInto(this.sumSq.get(l), values, `sumSq ${l}`);
    for (const [l, values] of other.gram) addInto(this.gram.get(l), values, `gram ${l}`);
    this.tokens += other.tokens;
  }

  toData(): InputStatsData {
    return { sumSq: [...this.sumSq], gram: [...this.gram], tokens: this.tokens };
  }
}

function addInto(acc: Float64Array | undefined, values: Float64Array, what: string): void {
  if (!acc || acc.length !== values.length) throw new RangeError(`stats merge: ${what} has ${values.length} values, expected ${acc?.length ?? 'none'}`);
  for (let i = 0; i < acc.length; i++) acc[i] += values[i]!;
}
