import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TextSourceError } from './sources-error.js';
import { loadTextSource } from './sources-file.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'dass-sources-empty-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

// Whitespace by Python's str.isspace(), including the separators JS's \s and Python agree on beyond ASCII.
const BLANK = ' \n\n\t\r\n\v\f\u00a0\u3000\n';

describe('loadTextSource refuses a file that holds nothing, naming it (code EMPTY)', () => {
  for (const [name, content, problem] of [
    ['empty.txt', '', 'is empty (0 bytes)'],
    ['blank.txt', BLANK, 'holds no text (only whitespace)'],
    ['wiki.train.raw', BLANK, 'holds no text (only whitespace)'],
    ['wiki.test.raw', '\n \n', 'holds no text (only whitespace)'],
    ['empty.jsonl', '', 'is empty (0 bytes)'],
    ['blank.jsonl', '\n\n  \r\n', 'holds no documents (only whitespace)'],
    ['array.json', ' [ ] ', 'holds no documents'],
    ['blank.json.gz', gzipSync('  \n'), 'holds no documents (only whitespace)'],
    ['empty.json.gz', gzipSync(''), 'decompresses to 0 bytes'],
    ['blank.txt.gz', gzipSync(BLANK), 'holds no text (only whitespace)'],
  ] as const) {
    it(`${name}: ${problem}`, async () => {
      const path = join(tmp, name);
      await writeFile(path, content);
      const err = await loadTextSource(path).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TextSourceError);
      expect((err as TextSourceError).message).toBe(`${path}: ${problem}`);
      expect((err as TextSourceError).reason).toBe('EMPTY');
    });
  }

  it('a text with one visible character is not empty (the sampler then judges its length)', async () => {
    const path = join(tmp, 'one.txt');
    await writeFile(path, ' \n.\n');
    const source = await loadTextSource(path);
    expect(source.kind === 'text' && source.text).toBe(' \n.\n');
  });
});
