/** Perplexities a source publishes for one model, keyed by method then by pattern ("0.5", "2:4", "4:8"). */
export interface PublishedResults {
  model: string;
  source: string;
  url: string;
  /** What the numbers measure, to set beside ours (whose context may differ). */
  protocol: string;
  /** Evaluation context the source used. */
  seqlen: number;
  dense: number;
  perplexity: Record<string, Record<string, number>>;
}

/**
 * The only published numbers confirmed here: the Wanda README's WikiText-2 perplexities for LLaMA-2-7B
 * (context 4096, 128 C4 calibration samples). Add others only from a source you can cite.
 */
export const PUBLISHED_RESULTS: Readonly<Record<string, PublishedResults>> = Object.freeze({
  'llama-2-7b': {
    model: 'LLaMA-2-7B',
    source: 'Wanda README (locuslab/wanda)',
    url: 'https://github.com/locuslab/wanda',
    protocol: 'WikiText-2 perplexity, context 4096',
    seqlen: 4096,
    dense: 5.12,
    perplexity: {
      magnitude: { '0.5': 14.89, '4:8': 16.48, '2:4': 54.59 },
      sparsegpt: { '0.5': 6.51, '4:8': 8.12, '2:4': 10.17 },
      wanda: { '0.5': 6.42, '4:8': 7.97, '2:4': 11.02 },
    },
  },
});

/** The published numbers for a grid model: by its `published` key, else by a checkpoint name such as `Llama-2-7b-hf`. */
export function publishedFor(model: { name: string; path: string; published?: string }): PublishedResults | undefined {
  if (model.published) return PUBLISHED_RESULTS[model.published];
  const names = [model.name, model.path.split(/[\\/]/).filter(Boolean).pop() ?? ''];
  if (names.some((n) => /^llama-?2-7b(-hf)?$/i.test(n))) return PUBLISHED_RESULTS['llama-2-7b'];
  return undefined;
}
