// Writes a tiny llama2.c checkpoint by hand (Karpathy's run.c layout, float32, shared classifier): the pack smoke
// scripts open and prune it, so they need no fixture from the repository. Values: a seeded LCG, in [-0.5, 0.5).
'use strict';
const { writeFileSync } = require('node:fs');

const TINY = { dim: 8, hiddenDim: 16, nLayers: 1, nHeads: 2, nKvHeads: 2, vocabSize: 32, seqLen: 16 };

/** Float count of each block in file order (run.c's memory_map_weights, incl. the unused freq_cis tables). */
function blocks(h) {
  const headSize = h.dim / h.nHeads;
  const kvDim = headSize * h.nKvHeads;
  const L = h.nLayers;
  return [
    ['token_embedding', h.vocabSize * h.dim],
    ['rms_att', L * h.dim],
    ['wq', L * h.dim * h.dim],
    ['wk', L * h.dim * kvDim],
    ['wv', L * h.dim * kvDim],
    ['wo', L * h.dim * h.dim],
    ['rms_ffn', L * h.dim],
    ['w1', L * h.hiddenDim * h.dim],
    ['w2', L * h.dim * h.hiddenDim],
    ['w3', L * h.hiddenDim * h.dim],
    ['rms_final', h.dim],
    ['freq_cis', h.seqLen * headSize], // real and imaginary halves, seq_len × head_size/2 each
  ];
}

/** Writes the checkpoint to `path`; returns the header and the token embedding (row-major [vocab, dim]). */
function writeTinyLlama2c(path, h = TINY) {
  const header = Int32Array.from([h.dim, h.hiddenDim, h.nLayers, h.nHeads, h.nKvHeads, h.vocabSize, h.seqLen]);
  const total = blocks(h).reduce((n, [, count]) => n + count, 0);
  const floats = new Float32Array(total);
  let a = 0x5eed;
  let at = 0;
  let embedding;
  for (const [name, count] of blocks(h)) {
    for (let i = 0; i < count; i++) {
      a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
      floats[at + i] = name.startsWith('rms') ? 1 : a / 4294967296 - 0.5;
    }
    if (name === 'token_embedding') embedding = floats.slice(at, at + count);
    at += count;
  }
  writeFileSync(path, Buffer.concat([Buffer.from(header.buffer), Buffer.from(floats.buffer)]));
  return { header: h, embedding };
}

module.exports = { TINY, writeTinyLlama2c };
