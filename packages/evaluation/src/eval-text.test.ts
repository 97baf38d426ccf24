import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEvalText } from './eval-text.js';

const dir = mkdtempSync(join(tmpdir(), 'dass-eval-text-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const wikiHead = fileURLToPath(new URL('../fixtures/text/wiki.test.head400.raw', import.meta.url));

describe('loadEvalText', () => {
  it('joins WikiText-2 raw rows: whitespace-only lines become "", rows joined with "\\n\\n"', async () => {
    const path = join(dir, 'wiki.test.raw');
    writeFileSync(path, ' \n = Title = \n \n Body text . \n');
    const r = await loadEvalText(path);
    expect(r.format).toBe('wikitext');
    // rows ["", " = Title = \n", "", " Body text . \n"] joined with "\n\n"
    expect(r.text).toBe('' + '\n\n' + ' = Title = \n' + '\n\n' + '' + '\n\n' + ' Body text . \n');
  });

  it('reads the bundled WikiText head as wikitext when asked', async () => {
    // rows = [l for l in open('wiki.test.head400.raw', encoding='utf-8')]
    // s = '\n\n'.join([r if r.strip() else '' for r in rows]); len(s.encode()), sha256(s.encode())
    //   -> 135487 7cfa18a363fe76a01dbc56df511cf57bdbe72b9b32dd012b4dd2146a1a9f81f8
    const r = await loadEvalText(wikiHead, { format: 'wikitext' });
    expect(r.text.startsWith('\n\n = Robert Boulter = \n')).toBe(true);
    expect(Buffer.byteLength(r.text, 'utf8')).toBe(135487);
    expect(createHash('sha256').update(r.text, 'utf8').digest('hex')).toBe('7cfa18a363fe76a01dbc56df511cf57bdbe72b9b32dd012b4dd2146a1a9f81f8');
  });

  it('joins JSON-lines documents with a space, optionally only the first ones', async () => {
    const path = join(dir, 'docs.jsonl');
    writeFileSync(path, '{"text": "one"}\n{"text": "two"}\n{"text": "three"}\n');
    expect(await loadEvalText(path)).toMatchObject({ text: 'one two three', documents: 3, format: 'jsonl' });
    expect((await loadEvalText(path, { maxDocuments: 2 })).text).toBe('one two');
    await expect(loadEvalText(path, { maxDocuments: 0 })).rejects.toThrow('maxDocuments: expected an integer >= 1, got 0');
  });
});
