import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openLlama2c } from '../llama2c/open-llama2c.js';
import { loadTokenizer } from '../tokenizer/load-tokenizer.js';
import { fixtures } from '../test/index.js';
import { CausalLM } from './causal-lm.js';

describe('stories260K greedy generation (golden)', () => {
  it('reproduces reference_greedy_t0.txt byte for byte (llama2.c run -t 0.0, 256 steps, stop at BOS)', async () => {
    const model = await CausalLM.fromSource(await openLlama2c(fixtures.stories260K.bin));
    const tokenizer = await loadTokenizer(fixtures.stories260K.tokenizer);
    // run.c: pos 0 holds BOS; 256 steps produce up to 256 tokens after it; a BOS ends the text.
    const ids = await model.generateGreedy([1], 257, [1]);
    // run.c prints a newline after the generated text; the reference file holds that output.
    const text = tokenizer.decode(ids) + '\n';
    expect(text).toBe(readFileSync(fixtures.stories260K.referenceGreedy, 'utf8'));
    model.dispose();
  }, 60_000);
});
