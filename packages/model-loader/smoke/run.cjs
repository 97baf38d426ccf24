// Pack smoke (scripts/pack-smoke.mjs): runs against the installed tarball, loaded by `import` and by `require`.
// The published package has no fixtures: it opens a safetensors file and a llama2.c checkpoint written here by hand.
'use strict';
const assert = require('node:assert/strict');
const { mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { writeTinyLlama2c } = require('./tiny-llama2c.cjs');

/** safetensors by hand: u64 LE header length, the JSON header (space-padded to 8 bytes), then the data. */
function safetensorsBytes(headerJson, data) {
  const json = Buffer.from(headerJson.padEnd(Math.ceil(headerJson.length / 8) * 8, ' '));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, data]);
}

module.exports = async function run(loader) {
  const dir = mkdtempSync(join(tmpdir(), 'dass-smoke-model-loader-'));
  try {
    const w = Float32Array.from([1.5, -2, 0.25, 3, 4, -5]);
    const ids = Int32Array.from([7, -1, 42]);
    const data = Buffer.concat([Buffer.from(w.buffer), Buffer.from(ids.buffer)]);
    const header =
      '{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"ids":{"dtype":"I32","shape":[3],"data_offsets":[24,36]}}';
    writeFileSync(join(dir, 'a.safetensors'), safetensorsBytes(header, data));
    const file = await loader.openSafetensors(join(dir, 'a.safetensors'));
    try {
      assert.deepEqual(file.names(), ['w', 'ids']);
      assert.deepEqual(file.metadata, { format: 'pt' });
      const t = await file.readF32('w');
      assert.deepEqual(Array.from(t.shape), [2, 3]);
      assert.deepEqual(Array.from(t.data), [1.5, -2, 0.25, 3, 4, -5]);
      assert.deepEqual(Array.from((await file.readTyped('ids')).data), [7, -1, 42]);
    } finally {
      await file.close();
    }
    // A header naming one tensor twice is refused (JSON.parse would silently keep the last).
    const dup = '{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}';
    writeFileSync(join(dir, 'dup.safetensors'), safetensorsBytes(dup, Buffer.alloc(8)));
    await assert.rejects(loader.openSafetensors(join(dir, 'dup.safetensors')), (err) => err instanceof loader.ModelLoadError && /w/.test(err.message));

    const { header: h, embedding } = writeTinyLlama2c(join(dir, 'tiny.bin'));
    const model = await loader.openLlama2c(join(dir, 'tiny.bin'));
    try {
      assert.equal(model.config.hiddenSize, h.dim);
      assert.equal(model.config.intermediateSize, h.hiddenDim);
      assert.equal(model.config.numLayers, h.nLayers);
      assert.equal(model.config.vocabSize, h.vocabSize);
      const emb = await model.readF32('model.embed_tokens.weight');
      assert.deepEqual(Array.from(emb.shape), [h.vocabSize, h.dim]);
      assert.deepEqual(Array.from(emb.data), Array.from(embedding));
      assert.deepEqual(model.shape('model.layers.0.mlp.gate_proj.weight'), [h.hiddenDim, h.dim]);
    } finally {
      await model.close();
    }
    return `safetensors (F32 [2,3], I32 [3]) read back exactly, duplicate key refused; llama2.c dim ${h.dim}, ${h.nLayers} layer, vocab ${h.vocabSize}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
