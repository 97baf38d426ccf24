// The file-source boundary: a run from in-memory inputs (what the browser app does with uploaded or bundled files:
// Blob sources, tokenizer bytes, text bytes, an in-memory llama2.c output) gives byte-for-byte the checkpoint and
// the same manifest numbers as `runPrune` from paths.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { textSourceFromBytes } from '@dass/calibration';
import { blobSource, openLlama2cSource, tokenizerFromBytes } from '@dass/model-loader';
import { fixtures } from '@dass/model-loader/test';
import { backendReport, selectBackend } from '@dass/tensor-backend';
import { calibrationFromText } from './calibration-batch.js';
import { memoryLlama2cOutput } from './checkpoint-sink.js';
import { checkSourceForRun, pruneSource, runLog, validatePruneSettings } from './prune-core.js';
import { runPrune } from './run-prune.js';

const calibText = new URL('../fixtures/tinystories_train_head.txt', import.meta.url).pathname;
const settings = { nsamples: 4, seqlen: 64, seed: 0, threads: 1 };

async function inMemoryRun(method: string, sparsity: string) {
  const modelBytes = readFileSync(fixtures.stories260K.bin);
  const source = await openLlama2cSource(blobSource(new Blob([modelBytes]), 'stories260K.bin'));
  try {
    const tokenizer = tokenizerFromBytes('tok512.bin', readFileSync(fixtures.stories260K.tokenizer), { vocabSize: source.config.vocabSize });
    const v = validatePruneSettings({ method, sparsity, ...settings });
    const log = runLog({});
    const seqlen = checkSourceForRun(source, v, log);
    const text = textSourceFromBytes('tinystories_train_head.txt', readFileSync(calibText));
    const calibration = calibrationFromText({ source: text, tokenizer, nsamples: v.nsamples, seqlen, seed: v.seed, vocabSize: source.config.vocabSize });
    const output = memoryLlama2cOutput(new Uint8Array(modelBytes), 'stories260K.bin', 'pruned.bin');
    const manifest = await pruneSource({
      source,
      calibration,
      output,
      settings: v,
      backend: backendReport(await selectBackend('auto')),
      threads: 1,
      environment: { tool: { name: 'dass-ts', version: 'test', platform: 'test' }, rssBytes: () => 0, peakRssBytes: () => 0 },
      log,
    });
    return { manifest, bytes: output.bytes() };
  } finally {
    await source.close();
  }
}

describe('in-memory inputs (the browser path) equal runPrune from paths', () => {
  for (const [method, sparsity] of [
    ['dass', '2:4'],
    ['wanda', '0.5'],
  ] as const) {
    it(`${method} ${sparsity}: same .bin bytes, same calibration ids and sparsity`, async () => {
      const out = join(mkdtempSync(join(tmpdir(), 'dass-browser-inputs-')), 'pruned.bin');
      const fromPaths = await runPrune({
        model: fixtures.stories260K.bin,
        tokenizer: fixtures.stories260K.tokenizer,
        calib: calibText,
        method,
        sparsity,
        out,
        ...settings,
      });
      const inMemory = await inMemoryRun(method, sparsity);
      expect(inMemory.manifest.calibration.idsSha256).toBe(fromPaths.calibration.idsSha256);
      expect(inMemory.manifest.calibration.sourceSha256).toBe(fromPaths.calibration.sourceSha256);
      expect(inMemory.manifest.sparsity).toEqual(fromPaths.sparsity);
      expect(inMemory.manifest.layers.map((l) => l.matrices.map((m) => m.outputError))).toEqual(
        fromPaths.layers.map((l) => l.matrices.map((m) => m.outputError)),
      );
      const written = readFileSync(out);
      expect(inMemory.bytes.length).toBe(written.length);
      expect(Buffer.from(inMemory.bytes).equals(written)).toBe(true);
      // The pruned file differs from the input (something was pruned), so the equality above is not vacuous.
      expect(Buffer.from(inMemory.bytes).equals(readFileSync(fixtures.stories260K.bin))).toBe(false);
    }, 120_000);
  }
});
