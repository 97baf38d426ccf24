import type { LanguageModel } from './language-model.js';
import { InvalidArgumentError } from '@dass/errors';

/**
 * The parts of model-loader's `CausalLM` that expose hidden states and chunked vocabulary logits; enough to add
 * the argmax LAMBADA needs without ever holding the whole [T, vocab] logits.
 */
export interface HiddenStateModel {
  readonly config: { vocabSize: number; maxPositionEmbeddings: number; hiddenSize: number };
  tokenNll(ids: Int32Array, batch: number, seqLen: number): Promise<Float32Array>;
  forwardHidden(ids: Int32Array, batch: number, seqLen: number): Promise<Float32Array>;
  projectLogits(hidden: Float32Array, rows: number, onChunk: (firstRow: number, chunkRows: number, logits: Float32Array) => void): Promise<void>;
}

/**
 * A LanguageModel view of `model` with `tokenNllAndArgmax` (one forward pass gives both; logits are consumed chunk
 * by chunk). A model that already has the method is returned as is.
 */
export function withGreedyScoring(model: HiddenStateModel | LanguageModel): LanguageModel {
  if (typeof (model as LanguageModel).tokenNllAndArgmax === 'function') return model as LanguageModel;
  const m = model as HiddenStateModel;
  if (typeof m.forwardHidden !== 'function' || typeof m.projectLogits !== 'function') {
    throw new InvalidArgumentError('model', 'expected tokenNllAndArgmax() or forwardHidden() + projectLogits() (a CausalLM), got neither');
  }
  return {
    config: m.config,
    tokenNll: (ids, batch, seqLen) => m.tokenNll(ids, batch, seqLen),
    async tokenNllAndArgmax(ids, batch, seqLen) {
      if (ids.length !== batch * seqLen) throw new InvalidArgumentError('ids', `expected ${batch}×${seqLen} = ${batch * seqLen} ids, got ${ids.length}`);
      if (seqLen < 2) throw new InvalidArgumentError('seqLen', `need at least 2 tokens to score a next token, got ${seqLen}`);
      const hidden = await m.forwardHidden(ids, batch, seqLen);
      const d = m.config.hiddenSize;
      const v = m.config.vocabSize;
      const nll = new Float32Array(batch * (seqLen - 1));
      const argmax = new Int32Array(batch * (seqLen - 1));
      for (let b = 0; b < batch; b++) {
        const rows = hidden.subarray(b * seqLen * d, (b * seqLen + seqLen - 1) * d);
        await m.projectLogits(rows, seqLen - 1, (first, n, logits) => {
          for (let i = 0; i < n; i++) {
            const at = b * (seqLen - 1) + first + i;
            const o = i * v;
            let best = 0;
            let max = logits[o];
            for (let j = 1; j < v; j++)
              if (logits[o + j] > max) {
                max = logits[o + j];
                best = j;
              }
            let sum = 0;
            for (let j = 0; j < v; j++) sum += Math.exp(logits[o + j] - max);
            nll[at] = max + Math.log(sum) - logits[o + ids[b * seqLen + first + i + 1]];
            argmax[at] = best;
          }
        });
      }
      return { nll, argmax };
    },
  };
}
