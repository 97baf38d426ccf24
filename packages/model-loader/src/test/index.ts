// Shared test fixtures (the `./test` subpath): paths to the small real checkpoints and tokenizers shipped in
// this package's fixtures/ folder. Provenance and licences: fixtures/LICENSES.md.
import { fileURLToPath } from 'node:url';

const fixturesDir = fileURLToPath(new URL('../../fixtures/', import.meta.url));
const at = (p: string) => fixturesDir + p;

export const fixtures = {
  dir: fixturesDir,
  stories260K: {
    bin: at('stories260K/stories260K.bin'),
    tokenizer: at('stories260K/tok512.bin'),
    referenceGreedy: at('stories260K/reference_greedy_t0.txt'),
    referenceNll: at('stories260K/reference_nll.json'),
    /** The first 60,000 bytes of the TinyStories validation head: the reference ids are the encoding of its first 1500 characters. */
    referenceText: at('stories260K/tinystories_validation_head_60k.txt'),
  },
  aidreams260K: {
    bin: at('aidreams260K/aidreams260K.bin'),
    tokenizer: at('aidreams260K/tok512.bin'),
  },
  llama2Tokenizer: {
    model: at('llama2-tokenizer/tokenizer.model'),
    /** llama2.c's export of the same vocabulary (int32 max_token_length, then {f32 score, i32 len, bytes} per id). */
    bin: at('llama2-tokenizer/tokenizer.bin'),
    cases: at('llama2-tokenizer/ggml-vocab-llama-spm.gguf.inp'),
    expected: at('llama2-tokenizer/ggml-vocab-llama-spm.gguf.out'),
  },
} as const;
export { diskFull, type DiskFullSyscall } from './disk-full.js';
export { useSwiftShader } from './webgpu-env.js';
export { reshardCheckpoint } from './reshard.js';
