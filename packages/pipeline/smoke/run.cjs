// Pack smoke (scripts/pack-smoke.mjs): runs against the installed tarball, loaded by `import` and by `require`.
// Prunes a tiny llama2.c model written here by hand with Wanda at 2:4 on a calib.safetensors of fixed token ids,
// then reads the written checkpoint back and checks every target weight row is 2:4 (≥ 2 zeros in each group of 4).
'use strict';
const assert = require('node:assert/strict');
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { writeTinyLlama2c } = require('./tiny-llama2c.cjs');

module.exports = async function run(pipeline) {
  // Siblings the pipeline depends on, installed with it from their own tarballs.
  const { writeCalibArtifact } = await import('@dass/calibration');
  const { openModel } = await import('@dass/model-loader');
  const dir = mkdtempSync(join(tmpdir(), 'dass-smoke-pipeline-'));
  try {
    const { header } = writeTinyLlama2c(join(dir, 'tiny.bin'));
    const nsamples = 2;
    const seqlen = 8;
    const inputIds = Int32Array.from({ length: nsamples * seqlen }, (_, i) => 1 + ((i * 7) % (header.vocabSize - 1)));
    const calib = join(dir, 'calib.safetensors');
    await writeCalibArtifact(
      calib,
      { inputIds, nsamples, seqlen },
      {
        sourceSha256: '0'.repeat(64),
        tokenizerSha256: '0'.repeat(64),
        seed: 0,
        seqlen,
        nsamples,
        sampler: 'text',
        source: 'smoke.txt',
      },
    );
    const out = join(dir, 'pruned');
    const manifest = await pipeline.runPrune({
      model: join(dir, 'tiny.bin'),
      method: 'wanda',
      sparsity: '2:4',
      calib,
      nsamples,
      seqlen,
      seed: 0,
      out,
      outFormat: 'hf',
      backend: 'cpu',
      threads: 1,
    });
    assert.equal(manifest.method, 'wanda');
    assert.equal(manifest.pattern, '2:4');
    assert.equal(manifest.layers.length, header.nLayers);
    // The manifest's JSON Schema ships under the `./schemas/*` export; the manifest has every key it requires.
    const schema = JSON.parse(readFileSync(require.resolve('@dass/pipeline/schemas/run-manifest.schema.json'), 'utf8'));
    for (const key of schema.required) assert.ok(key in manifest, `manifest lacks ${key}, which the schema requires`);
    const model = await openModel(out);
    let groups = 0;
    try {
      for (const name of manifest.targetLinears) {
        const tensor = `model.layers.0.${/^(gate|up|down)_proj$/.test(name) ? 'mlp' : 'self_attn'}.${name}.weight`;
        const { data, shape } = await model.readF32(tensor);
        const [rows, cols] = shape;
        for (let r = 0; r < rows; r++) {
          for (let g = 0; g < cols; g += 4) {
            let zeros = 0;
            for (let j = g; j < g + 4; j++) if (data[r * cols + j] === 0) zeros++;
            assert.ok(zeros >= 2, `${tensor} row ${r} columns ${g}..${g + 3}: ${zeros} zeros`);
            groups++;
          }
        }
      }
    } finally {
      await model.close();
    }
    return `wanda 2:4 on a ${header.nLayers}-layer dim-${header.dim} llama2.c model (${manifest.backend.name}): ${groups} groups of 4 checked in ${manifest.targetLinears.length} linears`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
