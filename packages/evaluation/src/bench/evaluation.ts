import { readFileSync } from 'node:fs';
import { CausalLM, openLlama2c } from '@dass/model-loader';
import { evaluatePerplexity } from '../perplexity.js';
import { syntheticWeightSource } from './synthetic-weight-source.js';

export interface EvaluationBenchRow {
  case: string;
  tokensPerSecond: number;
  tokens: number;
  seconds: number;
}

export interface EvaluationBenchOptions {
  /** The stories260K llama2.c checkpoint (in the repo: model-loader's `./test` fixtures, `fixtures.stories260K.bin`). */
  stories260KBin: string;
  /** Its reference NLL file, read for its `input_ids` (`fixtures.stories260K.referenceNll`). */
  referenceNll: string;
  /** Windows of 256 tokens per case (default 8 for stories260K, 2 for the stories15M-shaped model). */
  windows?: number;
  /** Skip the synthetic stories15M-shaped case (60 MB of weights, slower). */
  skipSynthetic?: boolean;
}

/** Perplexity throughput (tokens/s fed through the model) at seqlen 256, batch 4 and batch 1. */
async function benchModel(name: string, model: CausalLM, ids: Int32Array, windows: number): Promise<EvaluationBenchRow[]> {
  const rows: EvaluationBenchRow[] = [];
  await evaluatePerplexity(model, ids, { seqlen: 256, maxWindows: 1 }); // warm-up: loads and caches the layers
  for (const batchSize of [1, 4]) {
    const r = await evaluatePerplexity(model, ids, { seqlen: 256, maxWindows: windows, batchSize });
    rows.push({ case: `${name} perplexity seqlen 256 batch ${batchSize}`, tokensPerSecond: r.tokensPerSecond, tokens: r.tokens, seconds: r.seconds });
  }
  return rows;
}

/**
 * Evaluation throughput: perplexity on the real stories260K model (its reference ids, tiled), and on a model with
 * stories15M's shapes (dim 288, 6 layers, vocab 32000) filled with deterministic noise: no such checkpoint is
 * available here, and throughput depends only on the shapes.
 */
export async function benchEvaluation(options: EvaluationBenchOptions): Promise<EvaluationBenchRow[]> {
  const reference = JSON.parse(readFileSync(options.referenceNll, 'utf8')) as { input_ids: number[] };
  const rows: EvaluationBenchRow[] = [];

  const windows260K = options.windows ?? 8;
  const ids260K = Int32Array.from({ length: windows260K * 256 }, (_, i) => reference.input_ids[i % reference.input_ids.length]);
  const small = await CausalLM.fromSource(await openLlama2c(options.stories260KBin));
  try {
    rows.push(...(await benchModel('stories260K', small, ids260K, windows260K)));
  } finally {
    small.dispose();
    await small.source.close();
  }

  if (!options.skipSynthetic) {
    const windows15M = options.windows ?? 2;
    // Token ids spread over the 32000-token vocabulary (content is irrelevant to speed).
    const ids15M = Int32Array.from({ length: windows15M * 256 }, (_, i) => (i * 7919 + 1) % 32000);
    const big = await CausalLM.fromSource(syntheticWeightSource());
    try {
      rows.push(...(await benchModel('stories15M-shaped (synthetic weights)', big, ids15M, windows15M)));
    } finally {
      big.dispose();
    }
  }
  return rows;
}
