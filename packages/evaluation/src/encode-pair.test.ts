import { describe, expect, it } from 'vitest';
import { encodePair } from './encode-pair.js';
import { LongestMatchTokenizer } from './test-support/fake-tokenizers.js';

// ids: 3 "Q", 4 ":", 5 " ", 6 " yes", 7 "y", 8 "es", 9 "Q:"  (BOS = 1)
const tok = new LongestMatchTokenizer(['Q', ':', ' ', ' yes', 'y', 'es', 'Q:']);

describe('encodePair (lm-eval-harness _encode_pair)', () => {
  it('splits encode(context + continuation) at the context token count', () => {
    expect(encodePair(tok, 'Q:', ' yes')).toEqual({ contextIds: [1, 9], continuationIds: [6] });
  });

  it('moves trailing context whitespace into the continuation', () => {
    // Without the move, "Q: " → [1, 9, 5] (3 tokens) and "Q: yes" → [1, 9, 6]: the continuation would be empty.
    expect(encodePair(tok, 'Q: ', 'yes')).toEqual({ contextIds: [1, 9], continuationIds: [6] });
  });

  it('keeps a merge across the boundary inside the whole encoding', () => {
    // "Q" + "yes": whole = [1, 3, 7, 8], context "Q" = [1, 3].
    expect(encodePair(tok, 'Q', 'yes')).toEqual({ contextIds: [1, 3], continuationIds: [7, 8] });
  });

  it('scores the merged last token when the continuation disappears into the context', () => {
    // "Q" + ":" encodes as [1, 9] (one piece), no longer than the context's [1, 3].
    expect(encodePair(tok, 'Q', ':')).toEqual({ contextIds: [1], continuationIds: [9] });
  });

  it('rejects an empty continuation', () => {
    expect(() => encodePair(tok, 'Q', '')).toThrow('continuation: expected a non-empty string, got ""');
  });
});
