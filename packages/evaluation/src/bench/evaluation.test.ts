import { fixtures } from '@dass/model-loader/test';
import { describe, expect, it } from 'vitest';
import { benchEvaluation } from './evaluation.js';

describe('benchEvaluation', () => {
  it('reports positive throughput for stories260K (synthetic stories15M case skipped to keep tests fast)', async () => {
    const rows = await benchEvaluation({
      stories260KBin: fixtures.stories260K.bin,
      referenceNll: fixtures.stories260K.referenceNll,
      windows: 2,
      skipSynthetic: true,
    });
    expect(rows.map((r) => r.case)).toEqual(['stories260K perplexity seqlen 256 batch 1', 'stories260K perplexity seqlen 256 batch 4']);
    for (const r of rows) {
      expect(r.tokens).toBe(512);
      expect(r.tokensPerSecond).toBeGreaterThan(0);
    }
  });
});
