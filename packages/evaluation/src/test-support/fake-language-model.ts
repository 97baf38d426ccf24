import type { LanguageModel } from '../language-model.js';

/**
 * A LanguageModel for tests whose next-token distribution is any function of the prefix, so tests can write the
 * log-probs out by hand. It is causal by construction (position t only sees ids[0..t]) and records every call.
 */
export class FakeLanguageModel implements LanguageModel {
  readonly config: { vocabSize: number; maxPositionEmbeddings: number };
  readonly calls: { batch: number; seqLen: number; rows: number[][] }[] = [];

  /** `logProbs(prefix)` returns the natural-log probabilities of every vocab id following `prefix` (length >= 1). */
  constructor(
    vocabSize: number,
    maxPositionEmbeddings: number,
    private readonly logProbs: (prefix: readonly number[]) => ArrayLike<number>,
  ) {
    this.config = { vocabSize, maxPositionEmbeddings };
  }

  async tokenNll(ids: Int32Array, batch: number, seqLen: number): Promise<Float32Array> {
    return (await this.tokenNllAndArgmax(ids, batch, seqLen)).nll;
  }

  async tokenNllAndArgmax(ids: Int32Array, batch: number, seqLen: number): Promise<{ nll: Float32Array; argmax: Int32Array }> {
    if (ids.length !== batch * seqLen) throw new Error(`fake model: ids.length ${ids.length} != ${batch}*${seqLen}`);
    if (seqLen > this.config.maxPositionEmbeddings) throw new Error(`fake model: seqLen ${seqLen} > max positions`);
    const rows: number[][] = [];
    const nll = new Float32Array(batch * (seqLen - 1));
    const argmax = new Int32Array(batch * (seqLen - 1));
    for (let b = 0; b < batch; b++) {
      const row = Array.from(ids.subarray(b * seqLen, (b + 1) * seqLen));
      rows.push(row);
      for (let t = 0; t + 1 < seqLen; t++) {
        const lp = this.logProbs(row.slice(0, t + 1));
        nll[b * (seqLen - 1) + t] = -lp[row[t + 1]];
        let best = 0;
        for (let v = 1; v < this.config.vocabSize; v++) if (lp[v] > lp[best]) best = v;
        argmax[b * (seqLen - 1) + t] = best;
      }
    }
    this.calls.push({ batch, seqLen, rows });
    return { nll, argmax };
  }
}

/** Natural-log probabilities from unnormalised weights (a convenience for writing fakes). */
export function logProbsFromWeights(weights: readonly number[]): Float64Array {
  const total = weights.reduce((a, b) => a + b, 0);
  return Float64Array.from(weights, (w) => Math.log(w / total));
}
