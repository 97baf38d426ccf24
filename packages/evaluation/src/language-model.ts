/**
 * What evaluation needs from a model: next-token NLLs for a batch of token rows. The real `CausalLM` of
 * @dass/model-loader fits this structurally; tests use fakes whose log-probs are written out by hand.
 */
import { InvalidArgumentError } from '@dass/errors';
export interface LanguageModel {
  readonly config: { vocabSize: number; maxPositionEmbeddings: number };
  /**
   * For each of `batch` rows of `seqLen` ids (row-major, right-padded rows allowed: causal attention means padding
   * never affects earlier positions), the NLL of ids[b, t+1] given ids[b, 0..t], t = 0..seqLen-2:
   * Float32Array [batch*(seqLen-1)].
   */
  tokenNll(ids: Int32Array, batch: number, seqLen: number): Promise<Float32Array>;
  /**
   * Optional: the same NLLs plus, per position, the argmax id of the next-token distribution
   * (Int32Array [batch*(seqLen-1)]). Needed only by LAMBADA's greedy last-word accuracy.
   */
  tokenNllAndArgmax?(ids: Int32Array, batch: number, seqLen: number): Promise<{ nll: Float32Array; argmax: Int32Array }>;
}

/** Checks that `model` looks like a LanguageModel, naming what is missing. */
export function assertLanguageModel(model: unknown, argName = 'model'): asserts model is LanguageModel {
  const m = model as Partial<LanguageModel> | null | undefined;
  if (m == null || typeof m !== 'object') throw new InvalidArgumentError(argName, `expected a LanguageModel, got ${String(model)}`);
  if (typeof m.tokenNll !== 'function') throw new InvalidArgumentError(argName, `expected a LanguageModel with tokenNll(), it has none`);
  const c = m.config;
  if (c == null || !Number.isInteger(c.vocabSize) || c.vocabSize <= 0) {
    throw new InvalidArgumentError(`${argName}.config.vocabSize`, `expected a positive integer, got ${String(c?.vocabSize)}`);
  }
  if (!Number.isInteger(c.maxPositionEmbeddings) || c.maxPositionEmbeddings < 2) {
    throw new InvalidArgumentError(`${argName}.config.maxPositionEmbeddings`, `expected an integer >= 2, got ${String(c.maxPositionEmbeddings)}`);
  }
}

/** Checks every id is an integer in [0, vocabSize), naming the first bad one. */
export function assertTokenIds(ids: ArrayLike<number>, vocabSize: number, argName = 'ids'): void {
  for (let i = 0; i < ids.length; i++) {
    const v = ids[i];
    if (!Number.isInteger(v) || v < 0 || v >= vocabSize) {
      throw new InvalidArgumentError(`${argName}[${i}]`, `expected a token id in [0, ${vocabSize}), got ${v}`);
    }
  }
}
