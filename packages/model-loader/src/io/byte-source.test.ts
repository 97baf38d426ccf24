import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ModelLoadError } from '../errors.js';
import { openLlama2cSource } from '../llama2c/checkpoint.js';
import { openLlama2c } from '../llama2c/open-llama2c.js';
import { fixtures } from '../test/index.js';
import { loadTokenizer } from '../tokenizer/load-tokenizer.js';
import { tokenizerFromBytes } from '../tokenizer/tokenizer-from-bytes.js';
import { sha256Hex } from '../text/sha256.js';
import { blobSource, bytesSource, readAllBytes } from './byte-source.js';
import { openFileSource } from './file-source.js';

describe('ByteSource: Node files, Blobs and bytes read the same', () => {
  it('reads the same ranges from a file, a Blob and an ArrayBuffer; past the end is TRUNCATED naming the input', async () => {
    const bytes = readFileSync(fixtures.stories260K.tokenizer);
    const sources = [
      await openFileSource(fixtures.stories260K.tokenizer),
      blobSource(new Blob([bytes]), 'tok512.bin'),
      bytesSource('tok512.bin', bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)),
    ];
    for (const source of sources) {
      expect(source.size).toBe(bytes.length);
      const part = new Uint8Array(100);
      await source.read(1000, part);
      expect([...part]).toEqual([...bytes.subarray(1000, 1100)]);
      expect(Buffer.from(await readAllBytes(source)).equals(bytes)).toBe(true);
      const err = await source.read(bytes.length - 10, new Uint8Array(20)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ModelLoadError);
      expect((err as ModelLoadError).reason).toBe('TRUNCATED');
      expect((err as Error).message).toContain(source.name);
      await source.close();
    }
  });

  it('a missing file is NOT_FOUND', async () => {
    await expect(openFileSource('/nonexistent/x.bin')).rejects.toMatchObject({ reason: 'NOT_FOUND', code: 'DASS_NOT_FOUND' });
  });

  it('openLlama2cSource on a Blob gives the tensors openLlama2c reads from the path (q/k permuted alike)', async () => {
    const fromPath = await openLlama2c(fixtures.stories260K.bin);
    const fromBlob = await openLlama2cSource(blobSource(new Blob([readFileSync(fixtures.stories260K.bin)]), 'stories260K.bin'));
    expect(fromBlob.config).toEqual(fromPath.config);
    expect(fromBlob.tensorNames()).toEqual(fromPath.tensorNames());
    for (const name of ['model.layers.0.self_attn.q_proj.weight', 'model.layers.4.mlp.down_proj.weight', 'model.norm.weight']) {
      expect((await fromBlob.readF32(name)).data).toEqual((await fromPath.readF32(name)).data);
    }
    await fromPath.close();
    await fromBlob.close();
  });

  it('a truncated llama2.c upload is refused before any tensor is read, naming the upload', async () => {
    const bytes = readFileSync(fixtures.stories260K.bin).subarray(0, 5000);
    await expect(openLlama2cSource(bytesSource('upload.bin', bytes))).rejects.toThrow(/upload\.bin.*implies \d+ bytes, the file has 5000/);
  });

  it('tokenizerFromBytes encodes as loadTokenizer does, with the same sha256', async () => {
    const fromPath = await loadTokenizer(fixtures.stories260K.tokenizer, { vocabSize: 512 });
    const fromBytes = tokenizerFromBytes('tok512.bin', readFileSync(fixtures.stories260K.tokenizer), { vocabSize: 512 });
    const text = 'Once upon a time, there was a little girl named Lily.';
    expect([...fromBytes.encode(text)]).toEqual([...fromPath.encode(text)]);
    expect(fromBytes.sha256).toBe(fromPath.sha256);
    expect(() => tokenizerFromBytes('vocab.txt', new Uint8Array([1]))).toThrow(/unknown tokenizer type "\.txt"/);
  });
});

describe('sha256Hex', () => {
  it('matches FIPS 180-2 test vectors', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex(new Uint8Array(0))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});
