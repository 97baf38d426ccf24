import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TextSourceError } from './sources-error.js';
import { joinWikitextRows, resolveTextSourceFormat, universalNewlines } from './sources.js';
import { loadTextSource } from './sources-file.js';

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));
// Optional: the full WikiText-2 test split, only present next to a checkout that has ../shared.
const sharedWikiTest = fileURLToPath(new URL('../../../../shared/assets/text/wikitext-2-raw/wiki.test.raw', import.meta.url));

const codePoints = (s: string) => [...s].length;
const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'dass-sources-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});
async function tmpFile(name: string, content: string | Uint8Array): Promise<string> {
  const p = join(tmp, name);
  await writeFile(p, content);
  return p;
}

describe('resolveTextSourceFormat', () => {
  it('auto: .jsonl/.json/.json.gz → jsonl, wiki.*.raw → wikitext, else text; explicit formats pass through', () => {
    expect(resolveTextSourceFormat('/a/c4-train.00000-of-01024.json.gz')).toBe('jsonl');
    expect(resolveTextSourceFormat('x/C4.JSONL')).toBe('jsonl');
    expect(resolveTextSourceFormat('docs.json')).toBe('jsonl');
    expect(resolveTextSourceFormat('docs.jsonl.gz')).toBe('jsonl');
    expect(resolveTextSourceFormat('/d/wiki.test.raw')).toBe('wikitext');
    expect(resolveTextSourceFormat('/d/wiki.test.head400.raw')).toBe('wikitext');
    expect(resolveTextSourceFormat('/d/my.wiki.test.raw')).toBe('text');
    expect(resolveTextSourceFormat('stories.txt')).toBe('text');
    expect(resolveTextSourceFormat('stories.txt', 'wikitext')).toBe('wikitext');
    expect(resolveTextSourceFormat('wiki.test.raw', 'text')).toBe('text');
    expect(() => resolveTextSourceFormat('a.txt', 'csv' as 'text')).toThrow(/format: expected one of auto, text, wikitext, jsonl, got "csv"/);
  });
});

describe('joinWikitextRows (docs/SPEC.md §5)', () => {
  it('hand-worked: rows keep their \\n, whitespace-only rows become "", joined with "\\n\\n"', () => {
    // lines: " \n" | " = A = \n" | " \n" | " B c .\n"  →  rows: "" | " = A = \n" | "" | " B c .\n"
    // "" + "\n\n" + " = A = \n" + "\n\n" + "" + "\n\n" + " B c .\n"
    expect(joinWikitextRows(' \n = A = \n \n B c .\n')).toBe('\n\n = A = \n\n\n\n\n B c .\n');
    // A last line without its \n stays as it is; an empty file has no rows.
    expect(joinWikitextRows(' = A = \n tail')).toBe(' = A = \n\n\n tail');
    expect(joinWikitextRows('')).toBe('');
    // Python's str.strip() whitespace: \x1c and \u3000 count, U+FEFF does not.
    expect(joinWikitextRows('\x1c\u3000\nx\n')).toBe('\n\nx\n');
    expect(joinWikitextRows('\ufeff\nx\n')).toBe('\ufeff\n\n\nx\n');
  });

  it('universal newlines: \\r\\n and lone \\r become \\n', () => {
    expect(universalNewlines('a\r\nb\rc\n')).toBe('a\nb\nc\n');
  });

  it('the first 400 lines of wiki.test.raw (auto-detected by name) join to the Python string', async () => {
    // rows = [l for l in open('wiki.test.head400.raw', encoding='utf-8')]
    // s = '\n\n'.join([r if r.strip() else '' for r in rows]); len(rows), len(s.encode()), sha256(s.encode())
    //   -> 400 135487 7cfa18a363fe76a01dbc56df511cf57bdbe72b9b32dd012b4dd2146a1a9f81f8
    const src = await loadTextSource(join(fixtures, 'wiki.test.head400.raw'));
    expect(src.kind).toBe('text');
    expect(src.format).toBe('wikitext');
    if (src.kind !== 'text') throw new Error('unreachable');
    expect(src.text.startsWith('\n\n = Robert Boulter = \n\n\n\n\n Robert Boult')).toBe(true);
    expect(Buffer.byteLength(src.text, 'utf8')).toBe(135487);
    expect(sha256(src.text)).toBe('7cfa18a363fe76a01dbc56df511cf57bdbe72b9b32dd012b4dd2146a1a9f81f8');
  });

  it.skipIf(!existsSync(sharedWikiTest))('the full wiki.test.raw joins to 1,296,370 bytes (docs/SPEC.md §5)', async () => {
    // Same snippet on the full file -> 4358 rows, 1296370 bytes,
    // sha256 696cca6b65a171b0a358a4be6732cdfdf2dd6164a32e20fd70e3c13fc4dfae83
    const src = await loadTextSource(sharedWikiTest);
    if (src.kind !== 'text') throw new Error('expected text');
    expect(Buffer.byteLength(src.text, 'utf8')).toBe(1296370);
    expect(sha256(src.text)).toBe('696cca6b65a171b0a358a4be6732cdfdf2dd6164a32e20fd70e3c13fc4dfae83');
  });
});

describe('loadTextSource: text and documents', () => {
  it('plain text: the whole file, with the sha256 of the stored bytes', async () => {
    const src = await loadTextSource(join(fixtures, 'tinystories_train_head.txt'));
    if (src.kind !== 'text') throw new Error('expected text');
    expect(src.format).toBe('text');
    // sha256 from shared/assets MANIFEST.md; len(open(f, encoding='utf-8').read()) -> 196614 code points
    expect(src.sha256).toBe('727e8b228375be3075114c20729c93ed6e81ae5d8fe7faf7cb54b304f0322d70');
    expect(codePoints(src.text)).toBe(196614);
    expect(src.text.startsWith('One day, a little girl named Lily found a needle')).toBe(true);
  });

  it('plain text reads like Python text mode: CRLF → LF, a BOM is kept', async () => {
    const p = await tmpFile('crlf.txt', '\ufeffa\r\nb\rc');
    const src = await loadTextSource(p);
    expect(src.kind === 'text' && src.text).toBe('\ufeffa\nb\nc');
  });

  it('JSON-lines and .json.gz documents match Python json.loads per line', async () => {
    // d = [json.loads(l)['text'] for l in open('c4_first50.jsonl', encoding='utf-8')]
    // g = [json.loads(l)['text'] for l in gzip.open('c4_first200.json.gz', 'rt', encoding='utf-8')]
    // len(d), len(g), d == g[:50], sum(map(len, d)), sum(map(len, g)) -> 50 200 True 82376 404395
    const jsonl = await loadTextSource(join(fixtures, 'c4_first50.jsonl'));
    const gz = await loadTextSource(join(fixtures, 'c4_first200.json.gz'));
    if (jsonl.kind !== 'documents' || gz.kind !== 'documents') throw new Error('expected documents');
    expect(jsonl.docs.length).toBe(50);
    expect(gz.docs.length).toBe(200);
    expect(gz.docs.slice(0, 50)).toEqual(jsonl.docs);
    expect(jsonl.docs.reduce((s, d) => s + codePoints(d), 0)).toBe(82376);
    expect(gz.docs.reduce((s, d) => s + codePoints(d), 0)).toBe(404395);
    expect(jsonl.docs[0].startsWith('Beginners BBQ Class Taking Place in Missoula!\nDo you want')).toBe(true);
    expect(gz.docs[199].startsWith('Starring Cast Rajesh Hamal, Sanchita Luitel, Dilip')).toBe(true);
    // The hash is of the stored (compressed) file: sha256sum c4_first200.json.gz
    expect(gz.sha256).toBe('61090aecf8d822245eb2ef0e145fbf3305937ed25e3df089aefe80dccdb32b32');
  });

  it('documents: CRLF lines, blank lines, a JSON array, and gzip under an explicit format', async () => {
    const crlf = await tmpFile('a.jsonl', '{"text":"one"}\r\n\r\n{"text":"two\\nlines","id":3}\r\n');
    expect((await loadTextSource(crlf)).kind === 'documents' && ((await loadTextSource(crlf)) as { docs: string[] }).docs).toEqual(['one', 'two\nlines']);
    const arr = await tmpFile('b.json', ' [{"text":"x"},{"text":""}]');
    expect(await loadTextSource(arr)).toMatchObject({ kind: 'documents', docs: ['x', ''] });
    const gz = await tmpFile('c.bin', gzipSync('{"text":"é"}\n'));
    expect(await loadTextSource(gz, 'jsonl')).toMatchObject({ kind: 'documents', docs: ['é'], format: 'jsonl' });
    const gzText = await tmpFile('d.txt.gz', gzipSync('hello\n'));
    expect(await loadTextSource(gzText)).toMatchObject({ kind: 'text', text: 'hello\n' });
  });
});

describe('loadTextSource: errors name the file', () => {
  async function expectError(p: string, code: string, message: RegExp, format?: 'jsonl' | 'text') {
    const err = await loadTextSource(p, format).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TextSourceError);
    expect((err as TextSourceError).reason).toBe(code);
    expect((err as TextSourceError).message.startsWith(`${p}: `)).toBe(true);
    expect((err as TextSourceError).message).toMatch(message);
  }

  it('missing, directory, empty', async () => {
    await expectError(join(tmp, 'nope.txt'), 'NOT_FOUND', /no such file/);
    const dir = join(tmp, 'adir');
    await mkdir(dir);
    await expectError(dir, 'IO', /is a directory/);
    await expectError(await tmpFile('empty.txt', ''), 'EMPTY', /is empty \(0 bytes\)/);
    await expectError(await tmpFile('empty.json.gz', gzipSync('')), 'EMPTY', /decompresses to 0 bytes/);
    await expectError(await tmpFile('blank.jsonl', '\n \n'), 'EMPTY', /no documents/);
    await expectError(await tmpFile('empty-array.json', '[]'), 'EMPTY', /no documents/);
  });

  it('binary: NUL bytes or invalid UTF-8', async () => {
    await expectError(await tmpFile('nul.txt', Uint8Array.from([0x61, 0x62, 0x00, 0x63])), 'BINARY', /NUL byte at byte offset 2/);
    await expectError(await tmpFile('latin1.txt', Uint8Array.from([0x63, 0x61, 0x66, 0xe9])), 'BINARY', /not valid UTF-8/);
    await expectError(await tmpFile('nul.jsonl', '{"text":"a"}\n{"te\0xt":"b"}\n'), 'BINARY', /line 2: binary data.*offset 17/);
    await expectError(await tmpFile('badgz.json.gz', Uint8Array.from([0x1f, 0x8b, 1, 2, 3])), 'BAD_GZIP', /does not decompress/);
  });

  it('a malformed JSON line or a document without a string "text" names the line', async () => {
    await expectError(await tmpFile('bad.jsonl', '{"text":"a"}\n\n{"text": "b",\n'), 'BAD_JSON', /line 3: invalid JSON/);
    await expectError(
      await tmpFile('notext.jsonl', '{"text":"a"}\n{"body":"b"}\n'),
      'BAD_DOCUMENT',
      /line 2: expected an object with a string "text" field, got an object without/,
    );
    await expectError(await tmpFile('num.jsonl', '{"text":1}\n'), 'BAD_DOCUMENT', /line 1: .*got an object without/);
    await expectError(await tmpFile('arr.jsonl', '["a"]\n'), 'BAD_DOCUMENT', /line 1: .*got an array/);
    await expectError(await tmpFile('badarr.json', '[{"text":"a"}, 3]'), 'BAD_DOCUMENT', /document 1: .*got number/);
    await expectError(await tmpFile('trunc.json', '[{"text":"a"}'), 'BAD_JSON', /invalid JSON array/);
  });

  it('keeps a leading byte-order mark as U+FEFF in text (as Python\'s open(encoding="utf-8") does); JSON refuses it', async () => {
    const bom = [0xef, 0xbb, 0xbf];
    const text = await loadTextSource(await tmpFile('bom.txt', Uint8Array.from([...bom, 0x61, 0x0a])));
    expect(text.kind === 'text' && text.text).toBe('\uFEFFa\n');
    const wiki = await loadTextSource(await tmpFile('wiki.bom.raw', Uint8Array.from([...bom, 0x61, 0x0a, 0x20, 0x0a])));
    expect(wiki.kind === 'text' && wiki.text).toBe('\uFEFFa\n\n\n');
    await expectError(
      await tmpFile('bom.jsonl', Uint8Array.from([...bom, ...new TextEncoder().encode('{"text":"a"}\n')])),
      'BAD_JSON',
      /line 1: starts with a UTF-8 byte-order mark/,
    );
  });

  it('rejects a bad path argument', async () => {
    await expect(loadTextSource('')).rejects.toThrow(/path: expected a non-empty file path, got ""/);
  });
});
