// A calib.safetensors artifact of seeded random token ids: benchmarks need windows of a given shape, not text
// (throughput does not depend on which ids they are), so nothing is tokenized.
import { createHash } from 'node:crypto';
import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeCalibArtifact } from '../../packages/calibration/dist/index.js';

/** Writes `path` unless it exists; ids uniform in [0, vocabSize) from a 32-bit LCG seeded with `seed`. */
export async function ensureRandomCalib(path, { nsamples, seqlen, vocabSize, seed = 0 }) {
  try {
    await stat(path);
    return path;
  } catch {
    // generate below
  }
  await mkdir(dirname(path), { recursive: true });
  const ids = new Int32Array(nsamples * seqlen);
  let state = seed >>> 0;
  for (let i = 0; i < ids.length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    ids[i] = Math.floor((state / 4294967296) * vocabSize);
  }
  const sha = createHash('sha256').update(new Uint8Array(ids.buffer)).digest('hex');
  await writeCalibArtifact(
    path,
    { inputIds: ids, nsamples, seqlen },
    {
      sourceSha256: sha,
      tokenizerSha256: createHash('sha256').update('none: random ids').digest('hex'),
      seed,
      seqlen,
      nsamples,
      sampler: 'text',
      source: 'random-ids',
    },
  );
  return path;
}
