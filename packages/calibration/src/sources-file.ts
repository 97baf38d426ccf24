/** Node-only: a text source read from a path (parsing: textSourceFromBytes in sources.ts, shared with browsers). */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { InvalidArgumentError } from '@dass/errors';
import { TextSourceError } from './sources-error.js';
import { resolveTextSourceFormat, textSourceFromBytes } from './sources.js';
import type { TextSource, TextSourceFormat } from './sources.js';

/** Reads a text source (see TextSource). Errors (TextSourceError) name the file and, for documents, the line. */
export async function loadTextSource(path: string, format: TextSourceFormat = 'auto'): Promise<TextSource> {
  if (typeof path !== 'string' || path.length === 0) {
    throw new InvalidArgumentError('path', `expected a non-empty file path, got ${JSON.stringify(path)}`);
  }
  resolveTextSourceFormat(path, format); // a bad format is refused before the file is read
  const stored = await readSourceBytes(path);
  return textSourceFromBytes(path, stored, format, gunzipSync);
}

async function readSourceBytes(path: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new TextSourceError(path, 'NOT_FOUND', 'no such file');
    if (code === 'EISDIR') throw new TextSourceError(path, 'IO', 'is a directory, expected a text file');
    throw new TextSourceError(path, 'IO', `cannot read: ${(err as Error).message}`);
  }
  if (bytes.length === 0) throw new TextSourceError(path, 'EMPTY', 'is empty (0 bytes)');
  return bytes;
}
