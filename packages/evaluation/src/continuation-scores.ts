import type { LanguageModel } from './language-model.js';
import type { EncodedPair } from './encode-pair.js';
import { InvalidArgumentError } from '@dass/errors';

export interface ContinuationScore {
  /** Σ log p(continuation token | everything before it). */
  logLikelihood: number;
  /** Every continuation token is the model's argmax (only when asked for). */
  greedy?: boolean;
  /** Continuation tokens scored. */
  tokens: number;
  /** Context tokens dropped from the left to fit the model. */
  truncated: number;
}

/**
 * Scores several (context, continuation) pairs in one right-padded batch (the choices of one item). Each row is
 * context + continuation cut from the left to the model's `maxPositionEmbeddings` (the harness keeps the last
 * max_length + 1 tokens and drops the final one as input; our model call also takes the final token as input,
 * so one context token less fits). Padding uses id 0 and sits after every scored position.
 */
export async function scoreContinuations(
  model: LanguageModel,
  pairs: readonly EncodedPair[],
  { greedy = false }: { greedy?: boolean } = {},
): Promise<ContinuationScore[]> {
  if (pairs.length === 0) throw new InvalidArgumentError('pairs', 'expected at least one (context, continuation) pair, got none');
  const maxPos = model.config.maxPositionEmbeddings;
  const rows = pairs.map(({ contextIds, continuationIds }, i) => {
    if (contextIds.length < 1 || continuationIds.length < 1) {
      throw new InvalidArgumentError(
        `pairs[${i}]`,
        `expected >= 1 context and >= 1 continuation token, got ${contextIds.length} and ${continuationIds.length}`,
      );
    }
    if (continuationIds.length >= maxPos) {
      throw new InvalidArgumentError(
        `pairs[${i}]`,
        `the continuation has ${continuationIds.length} tokens; the model takes ${maxPos} positions, so at most ${maxPos - 1} fit after one context token`,
      );
    }
    const all = [...contextIds, ...continuationIds];
    const truncated = Math.max(0, all.length - maxPos);
    return { ids: truncated > 0 ? all.slice(truncated) : all, cont: continuationIds, truncated };
  });
  const len = Math.max(2, ...rows.map((r) => r.ids.length));
  const batch = new Int32Array(rows.length * len);
  rows.forEach((r, b) => batch.set(r.ids, b * len));

  let nll: Float32Array;
  let argmax: Int32Array | undefined;
  if (greedy) {
    if (typeof model.tokenNllAndArgmax !== 'function') {
      throw new InvalidArgumentError('model', 'greedy scoring (LAMBADA accuracy) needs model.tokenNllAndArgmax(), which this model lacks');
    }
    ({ nll, argmax } = await model.tokenNllAndArgmax(batch, rows.length, len));
  } else {
    nll = await model.tokenNll(batch, rows.length, len);
  }
  if (nll.length !== rows.length * (len - 1)) {
    throw new Error(`model.tokenNll: expected ${rows.length * (len - 1)} NLLs, got ${nll.length}`);
  }
  return rows.map((r, b) => {
    let logLikelihood = 0;
    let allGreedy = true;
    // The continuation occupies the last cont.length positions of the row; position p is predicted at index p - 1.
    for (let p = r.ids.length - r.cont.length; p < r.ids.length; p++) {
      const at = b * (len - 1) + p - 1;
      logLikelihood -= nll[at];
      if (argmax !== undefined && argmax[at] !== r.ids[p]) allGreedy = false;
    }
    return { logLikelihood, ...(greedy ? { greedy: allGreedy } : {}), tokens: r.cont.length, truncated: r.truncated };
  });
}
